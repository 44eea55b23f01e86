import type { Transaction } from 'kysely';
import type { DatabaseSchema, Db } from '../db/database.ts';
import { insertRevocations } from '../revocation/revocation.repository.ts';
import type { EndReason, Session } from './session.ts';

const SESSION_COLUMNS = [
  'id',
  'userId',
  'createdAt',
  'lastUsedAt',
  'expiresAt',
  'absoluteExpiresAt',
  'revokedAt',
  'userAgent',
  'ip',
] as const;

export interface NewSession {
  id: string;
  userId: string;
  now: number;
  expiresAt: number;
  absoluteExpiresAt: number | null;
  userAgent: string | null;
  ip: string | null;
  tokenHash: string;
  tokenExpiresAt: number;
}

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

/** A new live refresh token in a session, and the session's sliding expiry moved with it. */
async function addLiveToken(
  trx: Transaction<DatabaseSchema>,
  input: { sessionId: string; tokenHash: string; now: number; tokenExpiresAt: number; sessionExpiresAt?: number },
): Promise<void> {
  await trx
    .insertInto('refreshTokens')
    .values({
      tokenHash: input.tokenHash,
      sessionId: input.sessionId,
      createdAt: input.now,
      expiresAt: input.tokenExpiresAt,
      usedAt: null,
      replacedBy: null,
      graceUsedAt: null,
    })
    .execute();
  if (input.sessionExpiresAt !== undefined) {
    // Only a live session moves on: one ended meanwhile (logout, reuse, disable) rolls the
    // whole transaction back. On PostgreSQL this UPDATE waits for a concurrent end() and
    // then sees its result.
    const touched = await trx
      .updateTable('sessions')
      .set({ lastUsedAt: input.now, expiresAt: input.sessionExpiresAt })
      .where('id', '=', input.sessionId)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    if (touched.numUpdatedRows === 0n) throw new SessionEndedError();
  }
}

class SessionEndedError extends Error {}

/** Runs a transaction; a session found ended inside it becomes the 'ended' outcome. */
async function unlessEnded<T>(work: () => Promise<T>): Promise<T | { outcome: 'ended' }> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SessionEndedError) return { outcome: 'ended' };
    throw error;
  }
}

export function createSessionRepository(db: Db) {
  return {
    /** A session and its first refresh token, together. */
    async create(input: NewSession): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('sessions')
          .values({
            id: input.id,
            userId: input.userId,
            createdAt: input.now,
            lastUsedAt: input.now,
            expiresAt: input.expiresAt,
            absoluteExpiresAt: input.absoluteExpiresAt,
            revokedAt: null,
            revokeReason: null,
            userAgent: input.userAgent,
            ip: input.ip,
          })
          .execute();
        await addLiveToken(trx, {
          sessionId: input.id,
          tokenHash: input.tokenHash,
          now: input.now,
          tokenExpiresAt: input.tokenExpiresAt,
        });
      });
    },

    async find(id: string): Promise<Session | undefined> {
      return db.selectFrom('sessions').select(SESSION_COLUMNS).where('id', '=', id).executeTakeFirst();
    },

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
      return unlessEnded(() => db.transaction().execute(async (trx) => {
        const consumed = await trx
          .updateTable('refreshTokens')
          .set({ usedAt: input.now, replacedBy: input.newHash })
          .where('tokenHash', '=', input.oldHash)
          .where('sessionId', '=', input.sessionId)
          .where('usedAt', 'is', null)
          .executeTakeFirst();
        if (consumed.numUpdatedRows === 1n) {
          // A session is one chain: a sibling left by a grace exchange (see exchangeAgain) is
          // retired now, so presenting it later is reuse. Retired rows have no successor.
          await trx
            .updateTable('refreshTokens')
            .set({ usedAt: input.now })
            .where('sessionId', '=', input.sessionId)
            .where('usedAt', 'is', null)
            .where('tokenHash', '!=', input.oldHash)
            .execute();
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
      }));
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
      return unlessEnded(() => db.transaction().execute(async (trx) => {
        const spent = await trx
          .updateTable('refreshTokens')
          .set({ graceUsedAt: input.now })
          .where('tokenHash', '=', input.parentHash)
          .where('sessionId', '=', input.sessionId)
          .where('replacedBy', '=', input.childHash)
          .where('graceUsedAt', 'is', null)
          .where(({ exists, selectFrom }) =>
            exists(
              selectFrom('refreshTokens as child')
                .select('child.tokenHash')
                .where('child.tokenHash', '=', input.childHash)
                .where('child.usedAt', 'is', null),
            ),
          )
          .executeTakeFirst();
        if (spent.numUpdatedRows !== 1n) return { outcome: 'reused' } as const;
        await addLiveToken(trx, { ...input, tokenHash: input.newHash });
        return { outcome: 'added' } as const;
      }));
    },

    /**
     * Ends sessions and, in the same transaction, records them in `revocations` until
     * `coverUntil` (when their last access token has expired), so that no instance can
     * see the session ended yet its access tokens still honoured. Returns the ids ended.
     */
    async end(
      target: { sessionId: string; userId?: string } | { userId: string; except?: string },
      reason: EndReason,
      now: number,
      coverUntil: number,
    ): Promise<string[]> {
      return db.transaction().execute(async (trx) => {
        let query = trx
          .updateTable('sessions')
          .set({ revokedAt: now, revokeReason: reason })
          .where('revokedAt', 'is', null);
        if ('sessionId' in target) {
          query = query.where('id', '=', target.sessionId);
          if (target.userId) query = query.where('userId', '=', target.userId);
        } else {
          query = query.where('userId', '=', target.userId);
          if (target.except) query = query.where('id', '!=', target.except);
        }
        const ids = (await query.returning('id').execute()).map((row) => row.id);
        await insertRevocations(trx, ids.map((id) => ({ id, kind: 'sid' as const, createdAt: now, expiresAt: coverUntil })));
        return ids;
      });
    },

    async listLive(userId: string, now: number): Promise<Session[]> {
      return db
        .selectFrom('sessions')
        .select(SESSION_COLUMNS)
        .where('userId', '=', userId)
        .where('revokedAt', 'is', null)
        .where('expiresAt', '>', now)
        .where((eb) => eb.or([eb('absoluteExpiresAt', 'is', null), eb('absoluteExpiresAt', '>', now)]))
        .orderBy('createdAt', 'desc')
        .execute();
    },

    /**
     * Deletes refresh tokens expired before `before` (a long-lived session rotates one out
     * every refresh; an expired token is refused by its `exp` anyway), and sessions (with their
     * tokens, by cascade) ended or expired before it.
     */
    async prune(before: number): Promise<number> {
      await db.deleteFrom('refreshTokens').where('expiresAt', '<', before).execute();
      const result = await db
        .deleteFrom('sessions')
        .where((eb) =>
          eb.or([eb('expiresAt', '<', before), eb('revokedAt', '<', before), eb('absoluteExpiresAt', '<', before)]),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type SessionRepository = ReturnType<typeof createSessionRepository>;
