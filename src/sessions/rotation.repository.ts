import { sql, type Transaction } from 'kysely';
import type { DatabaseSchema, Db } from '../database.ts';
import { isPostgres } from '../db/dialect.ts';
import { prepared } from '../db/prepared.ts';
import { unlessEnded, type LiveTokens } from './live-token.ts';

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

/** Carries a rotation's answer out of its transaction, which it rolls back (the session's move on). */
class Unrotated extends Error {
  constructor(readonly result: ConsumeResult) {
    super(result.outcome);
  }
}

/** The queries of refresh-token rotation: one conditional UPDATE decides every race. */
export function createRotationQueries(db: Db, liveTokens: LiveTokens) {
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
  /**
   * Consumes `oldHash` if it is live, and in the same statement retires the session's other live
   * tokens (a sibling left by a grace exchange, see exchangeAgain): a session is one chain, so
   * presenting a sibling later is reuse. Retired rows keep no successor. It changes no row
   * unless `oldHash` itself is live, so of two refreshes with one token exactly one wins.
   */
  type Consume = { sessionId: string; oldHash: string; newHash: string; now: number };
  const consume = prepared(db, ['now', 'oldHash', 'newHash', 'sessionId'], (q, v: Consume) =>
    q
      .updateTable('refreshTokens')
      .set((eb) => ({
        usedAt: v.now,
        replacedBy: eb.case().when('tokenHash', '=', v.oldHash).then(v.newHash).else(eb.ref('replacedBy')).end(),
      }))
      .where('sessionId', '=', v.sessionId)
      .where('usedAt', 'is', null)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('refreshTokens as old')
            .select('old.tokenHash')
            .where('old.tokenHash', '=', v.oldHash)
            .where('old.sessionId', '=', v.sessionId)
            .where('old.usedAt', 'is', null),
        ),
      ),
  );
  const usage = prepared(db, ['oldHash', 'sessionId'], (q, v: Pick<Consume, 'oldHash' | 'sessionId'>) =>
    q
      .selectFrom('refreshTokens as t')
      .leftJoin('refreshTokens as child', 'child.tokenHash', 't.replacedBy')
      .select(['t.sessionId', 't.usedAt', 't.graceUsedAt', 'child.usedAt as childUsedAt', 'child.tokenHash as childHash'])
      .where('t.tokenHash', '=', v.oldHash)
      .where('t.sessionId', '=', v.sessionId),
  );

  /**
   * Why `oldHash` was not rotated: unknown, already used (and how), or still live (`ifLive`:
   * then the session had ended). A used token is reported as used even in an ended session, so
   * that reuse is still recorded as reuse.
   */
  const whyNot = async (
    trx: Transaction<DatabaseSchema>,
    input: Pick<Consume, 'oldHash' | 'sessionId'>,
    ifLive: ConsumeResult,
  ): Promise<ConsumeResult> => {
    const [row] = (await usage(trx, input)).rows;
    if (!row) return { outcome: 'unknown' };
    if (row.usedAt === null) return ifLive;
    return {
      outcome: 'used',
      sessionId: row.sessionId,
      usedAt: row.usedAt,
      child: row.childHash !== null && row.childUsedAt === null ? row.childHash : null,
      graceUsed: row.graceUsedAt !== null,
    };
  };

  type RotateInput = {
    sessionId: string;
    oldHash: string;
    newHash: string;
    now: number;
    tokenExpiresAt: number;
    sessionExpiresAt: number;
  };
  type RotateRow = {
    outcome: ConsumeResult['outcome'];
    sessionId: string | null;
    usedAt: number | null;
    childHash: string | null;
    graceUsed: boolean | null;
  };

  /**
   * On PostgreSQL the same rotation is one call of a function (migration 0008, which says how it
   * keeps these guarantees): one round trip where the transaction below takes five.
   */
  const rotateInOneCall = async (input: RotateInput): Promise<ConsumeResult> => {
    const { rows } =
      await sql<RotateRow>`select * from tessera_rotate_refresh_token(${input.sessionId}, ${input.oldHash}, ${input.newHash}, ${input.now}, ${input.tokenExpiresAt}, ${input.sessionExpiresAt})`.execute(
        db,
      );
    const row = rows[0];
    if (!row) throw new Error('tessera_rotate_refresh_token returned no row');
    if (row.outcome !== 'used') return { outcome: row.outcome };
    if (row.sessionId === null || row.usedAt === null) throw new Error('tessera_rotate_refresh_token: a used token without its usage');
    return { outcome: 'used', sessionId: row.sessionId, usedAt: row.usedAt, child: row.childHash, graceUsed: row.graceUsed === true };
  };

  return {
    /**
     * Rotation: move the live session on, consume the old token and retire its siblings, store
     * the new token. Anything else (an ended session, a used or unknown token) rolls the
     * transaction back, so the session has not moved, and reports why. On PostgreSQL, one call
     * of a function that does the same (rotateInOneCall).
     */
    async rotate(input: RotateInput): Promise<ConsumeResult> {
      if (postgres) return rotateInOneCall(input);
      try {
        return await db.transaction().execute(async (trx) => {
          const slid = await liveTokens.slide(trx, input);
          if (slid.numAffectedRows === 0n) throw new Unrotated(await whyNot(trx, input, { outcome: 'ended' }));
          const consumed = await consume(trx, input);
          // Not consumed, so not live: whyNot's live case cannot arise here.
          if (consumed.numAffectedRows === 0n) throw new Unrotated(await whyNot(trx, input, { outcome: 'unknown' }));
          await liveTokens.add(trx, {
            sessionId: input.sessionId,
            tokenHash: input.newHash,
            now: input.now,
            tokenExpiresAt: input.tokenExpiresAt,
          });
          return { outcome: 'rotated' } as const;
        });
      } catch (error) {
        if (error instanceof Unrotated) return error.result;
        throw error;
      }
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
          await liveTokens.add(trx, { ...input, tokenHash: input.newHash });
          return { outcome: 'added' } as const;
        }),
      );
    },
  };
}
