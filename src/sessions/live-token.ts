import type { Transaction } from 'kysely';
import type { DatabaseSchema, Db } from '../database.ts';
import { prepared } from '../db/prepared.ts';

export interface LiveToken {
  sessionId: string;
  tokenHash: string;
  now: number;
  tokenExpiresAt: number;
  sessionExpiresAt?: number;
}

/**
 * The queries that add a session's live refresh token (login, rotation, a grace exchange) and move
 * a live session's sliding expiry, compiled once per database (one set per repository).
 */
export function createLiveTokens(db: Db) {
  const insertToken = prepared(db, ['tokenHash', 'sessionId', 'now', 'tokenExpiresAt'], (q, v: Omit<LiveToken, 'sessionExpiresAt'>) =>
    q.insertInto('refreshTokens').values({
      tokenHash: v.tokenHash,
      sessionId: v.sessionId,
      createdAt: v.now,
      expiresAt: v.tokenExpiresAt,
      usedAt: null,
      replacedBy: null,
      graceUsedAt: null,
    }),
  );
  const slideSession = prepared(
    db,
    ['sessionId', 'now', 'sessionExpiresAt'],
    (q, v: { sessionId: string; now: number; sessionExpiresAt: number }) =>
      q
        .updateTable('sessions')
        .set({ lastUsedAt: v.now, expiresAt: v.sessionExpiresAt })
        .where('id', '=', v.sessionId)
        .where('revokedAt', 'is', null),
  );

  return {
    /**
     * Moves a live session on (last use, sliding expiry); changes nothing for an ended one. On
     * PostgreSQL the UPDATE waits for a concurrent end() and then sees its result.
     */
    slide: slideSession,

    /** A new live refresh token in a session and, with `sessionExpiresAt`, the session moved on with it. */
    async add(trx: Transaction<DatabaseSchema>, input: LiveToken): Promise<void> {
      await insertToken(trx, input);
      if (input.sessionExpiresAt !== undefined) {
        // Only a live session moves on: one ended meanwhile (logout, reuse, disable) rolls the
        // whole transaction back.
        const touched = await slideSession(trx, { sessionId: input.sessionId, now: input.now, sessionExpiresAt: input.sessionExpiresAt });
        if (touched.numAffectedRows === 0n) throw new SessionEndedError();
      }
    },
  };
}

export type LiveTokens = ReturnType<typeof createLiveTokens>;

class SessionEndedError extends Error {}

/** Runs a transaction; a session found ended inside it becomes the 'ended' outcome. */
export async function unlessEnded<T>(work: () => Promise<T>): Promise<T | { outcome: 'ended' }> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SessionEndedError) return { outcome: 'ended' };
    throw error;
  }
}
