import type { Transaction } from 'kysely';
import type { DatabaseSchema } from '../database.ts';

/** A new live refresh token in a session, and the session's sliding expiry moved with it. */
export async function addLiveToken(
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
export async function unlessEnded<T>(work: () => Promise<T>): Promise<T | { outcome: 'ended' }> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SessionEndedError) return { outcome: 'ended' };
    throw error;
  }
}
