import type { Transaction } from 'kysely';
import type { DatabaseSchema, Db } from '../database.ts';
import { isPostgres } from '../db/dialect.ts';
import { prepared } from '../db/prepared.ts';
import { createLiveTokens, unlessEnded } from './live-token.ts';

export type ConsumeResult =
  | { outcome: 'rotated' }
  /** The session ended while this rotation ran; nothing changed. */
  | { outcome: 'ended' }
  /**
   * The token was already used. `child` is the token that replaced it while that one is
   * still live (the token is then the direct parent of the live token); `graceUsed` when its
   * one extra exchange inside the reuse interval has been spent.
   */
  | { outcome: 'used'; sessionId: string; usedAt: number; child: string | null; graceUsed: boolean }
  | { outcome: 'unknown' };

/** The queries of refresh-token rotation: one conditional UPDATE decides every race. */
export function createRotationQueries(db: Db) {
  const addLiveToken = createLiveTokens(db);
  const postgres = isPostgres(db);
  const lockSession = prepared(db, ['sessionId'], (q, v: { sessionId: string }) =>
    q.selectFrom('sessions').select('id').where('id', '=', v.sessionId).forUpdate(),
  );
  /**
   * On PostgreSQL, every change to a session's chain first locks the session row, so rotations
   * and grace exchanges of one session run one after another: a grace exchange cannot slip a new
   * sibling past a concurrent rotation's retiring UPDATE, and two branches rotating at once
   * cannot deadlock on each other's rows. (SQLite writes one transaction at a time.)
   */
  const lockChain = async (trx: Transaction<DatabaseSchema>, sessionId: string): Promise<void> => {
    if (postgres) await lockSession(trx, { sessionId });
  };
  type Consume = { sessionId: string; oldHash: string; newHash: string; now: number };
  const consume = prepared(db, ['now', 'newHash', 'oldHash', 'sessionId'], (q, v: Consume) =>
    q
      .updateTable('refreshTokens')
      .set({ usedAt: v.now, replacedBy: v.newHash })
      .where('tokenHash', '=', v.oldHash)
      .where('sessionId', '=', v.sessionId)
      .where('usedAt', 'is', null),
  );
  // A session is one chain: a sibling left by a grace exchange (see exchangeAgain) is retired
  // when the chain moves on, so presenting it later is reuse. Retired rows have no successor.
  const retireSiblings = prepared(db, ['now', 'sessionId', 'oldHash'], (q, v: Omit<Consume, 'newHash'>) =>
    q
      .updateTable('refreshTokens')
      .set({ usedAt: v.now })
      .where('sessionId', '=', v.sessionId)
      .where('usedAt', 'is', null)
      .where('tokenHash', '!=', v.oldHash),
  );
  return {
    /**
     * Rotation: marks `oldHash` used in one conditional UPDATE, so of two concurrent
     * refreshes with one token exactly one changes a row; the winner's new token is
     * stored in the same transaction. The loser learns how the token was used.
     */
    async rotate(input: {
      sessionId: string;
      oldHash: string;
      newHash: string;
      now: number;
      tokenExpiresAt: number;
      sessionExpiresAt: number;
    }): Promise<ConsumeResult> {
      return unlessEnded(() =>
        db.transaction().execute(async (trx) => {
          await lockChain(trx, input.sessionId);
          const consumed = await consume(trx, input);
          if (consumed.numAffectedRows === 1n) {
            await retireSiblings(trx, input);
            await addLiveToken(trx, { ...input, tokenHash: input.newHash });
            return { outcome: 'rotated' } as const;
          }
          const row = await trx
            .selectFrom('refreshTokens as t')
            .leftJoin('refreshTokens as child', 'child.tokenHash', 't.replacedBy')
            .select(['t.sessionId', 't.usedAt', 't.graceUsedAt', 'child.usedAt as childUsedAt', 'child.tokenHash as childHash'])
            .where('t.tokenHash', '=', input.oldHash)
            .where('t.sessionId', '=', input.sessionId)
            .executeTakeFirst();
          if (!row || row.usedAt === null) return { outcome: 'unknown' } as const;
          return {
            outcome: 'used',
            sessionId: row.sessionId,
            usedAt: row.usedAt,
            child: row.childHash !== null && row.childUsedAt === null ? row.childHash : null,
            graceUsed: row.graceUsedAt !== null,
          } as const;
        }),
      );
    },

    /**
     * The reuse-interval grace path: the direct parent of the live token `childHash` is
     * exchanged once more, for `newHash` in the same session. One conditional UPDATE spends
     * the parent's single extra exchange, so of two replays only one can win ('reused' for
     * the other); it also fails once the child has been rotated (the chain moved on).
     */
    async exchangeAgain(input: {
      sessionId: string;
      parentHash: string;
      childHash: string;
      newHash: string;
      now: number;
      tokenExpiresAt: number;
      sessionExpiresAt: number;
    }): Promise<{ outcome: 'added' | 'reused' | 'ended' }> {
      return unlessEnded(() =>
        db.transaction().execute(async (trx) => {
          await lockChain(trx, input.sessionId);
          const spent = await trx
            .updateTable('refreshTokens')
            .set({ graceUsedAt: input.now })
            .where('tokenHash', '=', input.parentHash)
            .where('sessionId', '=', input.sessionId)
            .where('replacedBy', '=', input.childHash)
            .where('graceUsedAt', 'is', null)
            .where((eb) =>
              eb.exists(
                eb
                  .selectFrom('refreshTokens as child')
                  .select('child.tokenHash')
                  .where('child.tokenHash', '=', input.childHash)
                  .where('child.usedAt', 'is', null),
              ),
            )
            .executeTakeFirst();
          if (spent.numUpdatedRows !== 1n) return { outcome: 'reused' } as const;
          await addLiveToken(trx, { ...input, tokenHash: input.newHash });
          return { outcome: 'added' } as const;
        }),
      );
    },
  };
}
