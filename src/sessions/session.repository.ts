import type { Transaction } from 'kysely';
import type { DatabaseSchema, Db } from '../database.ts';
import { insertRevocations } from '../revocation/revocation.repository.ts';
import { prepared } from '../db/prepared.ts';
import { createLiveTokens } from './live-token.ts';
import { toUser } from '../users/user-row.ts';
import type { User } from '../users/user.ts';
import { createRotationQueries } from './rotation.repository.ts';
import { RETIRES_EMAIL_LINKS, type EndReason, type Session } from './session.ts';

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
  'amr',
  'authTime',
] as const;

const toSession = (row: Omit<Session, 'amr' | 'authTime'> & { amr: string; authTime: number | null }): Session => ({
  ...row,
  amr: JSON.parse(row.amr) as string[],
  authTime: row.authTime ?? row.createdAt,
});

export interface NewSession {
  id: string;
  userId: string;
  now: number;
  expiresAt: number;
  absoluteExpiresAt: number | null;
  userAgent: string | null;
  ip: string | null;
  /** The methods the login proved (RFC 8176); `["pwd"]`, the column's default, when absent. */
  amr?: string[];
  /** When the login proved its credential; `now` when absent. */
  authTime?: number;
  tokenHash: string;
  tokenExpiresAt: number;
}

export type EndTarget = { sessionId: string; userId?: string } | { userId: string; except?: string };

/**
 * Ends sessions inside `trx` and records them in `revocations` until `coverUntil` (when their
 * last access token has expired), so that no instance can see the session ended yet its access
 * tokens still honoured. Returns the ids ended.
 */
export async function endSessionsWithin(
  trx: Transaction<DatabaseSchema>,
  target: EndTarget,
  reason: EndReason,
  now: number,
  coverUntil: number,
): Promise<string[]> {
  let query = trx.updateTable('sessions').set({ revokedAt: now, revokeReason: reason }).where('revokedAt', 'is', null);
  if ('sessionId' in target) {
    query = query.where('id', '=', target.sessionId);
    if (target.userId) query = query.where('userId', '=', target.userId);
  } else {
    query = query.where('userId', '=', target.userId);
    if (target.except) query = query.where('id', '!=', target.except);
    // A login halfway through its second step (a password already checked, an mfaToken out) is a
    // session about to begin: whatever ends all of a user's sessions (a password change or reset,
    // a disable, logout-all) ends it too.
    await trx.deleteFrom('mfaChallenges').where('userId', '=', target.userId).execute();
    // In the same transaction as the end itself: no window in which the sessions are gone but a
    // pending email change (an attacker's, say) could still be confirmed.
    if (RETIRES_EMAIL_LINKS.has(reason)) {
      await trx.updateTable('emailLinks').set({ usedAt: now }).where('userId', '=', target.userId).where('usedAt', 'is', null).execute();
    }
  }
  const ids = (await query.returning('id').execute()).map((row) => row.id);
  await insertRevocations(
    trx,
    ids.map((id) => ({ id, kind: 'sid' as const, createdAt: now, expiresAt: coverUntil })),
  );
  return ids;
}

export function createSessionRepository(db: Db) {
  const liveTokens = createLiveTokens(db);
  const findSession = prepared(db, ['id'], (q, v: { id: string }) =>
    q.selectFrom('sessions').select(SESSION_COLUMNS).where('id', '=', v.id),
  );
  // Every refresh reads its session and the session's user (for the roles it issues now): one query.
  const findSessionAndUser = prepared(db, ['id'], (q, v: { id: string }) =>
    q
      .selectFrom('sessions as s')
      .leftJoin('users as u', 'u.id', 's.userId')
      .select(SESSION_COLUMNS.map((column) => `s.${column}` as const))
      .select([
        'u.id as uId',
        'u.email as uEmail',
        'u.name as uName',
        'u.roles as uRoles',
        'u.disabled as uDisabled',
        'u.emailVerified as uEmailVerified',
        'u.mfaEnabled as uMfaEnabled',
        'u.createdAt as uCreatedAt',
      ])
      .where('s.id', '=', v.id),
  );
  return {
    ...createRotationQueries(db, liveTokens),
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
            amr: JSON.stringify(input.amr ?? ['pwd']),
            authTime: input.authTime ?? input.now,
          })
          .execute();
        await liveTokens.add(trx, {
          sessionId: input.id,
          tokenHash: input.tokenHash,
          now: input.now,
          tokenExpiresAt: input.tokenExpiresAt,
        });
      });
    },

    /** A session and its user (undefined when the user no longer exists). */
    async findWithUser(id: string): Promise<{ session: Session; user: User | undefined } | undefined> {
      const [row] = (await findSessionAndUser(db, { id })).rows;
      if (!row) return undefined;
      const { uId, uEmail, uName, uRoles, uDisabled, uEmailVerified, uMfaEnabled, uCreatedAt, ...session } = row;
      const user =
        uId === null || uEmail === null || uRoles === null || uCreatedAt === null
          ? undefined
          : toUser({
              id: uId,
              email: uEmail,
              name: uName,
              roles: uRoles,
              disabled: uDisabled ?? 0,
              emailVerified: uEmailVerified ?? 0,
              mfaEnabled: uMfaEnabled ?? 0,
              createdAt: uCreatedAt,
            });
      return { session: toSession(session), user };
    },

    async find(id: string): Promise<Session | undefined> {
      const [row] = (await findSession(db, { id })).rows;
      return row && toSession(row);
    },

    /**
     * Ends sessions and, in the same transaction, records them in `revocations` until
     * `coverUntil` (when their last access token has expired), so that no instance can
     * see the session ended yet its access tokens still honoured. Returns the ids ended.
     */
    async end(target: EndTarget, reason: EndReason, now: number, coverUntil: number): Promise<string[]> {
      return db.transaction().execute((trx) => endSessionsWithin(trx, target, reason, now, coverUntil));
    },

    async listLive(userId: string, now: number): Promise<Session[]> {
      const rows = await db
        .selectFrom('sessions')
        .select(SESSION_COLUMNS)
        .where('userId', '=', userId)
        .where('revokedAt', 'is', null)
        .where('expiresAt', '>', now)
        .where((eb) => eb.or([eb('absoluteExpiresAt', 'is', null), eb('absoluteExpiresAt', '>', now)]))
        .orderBy('createdAt', 'desc')
        .execute();
      return rows.map(toSession);
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
        .where((eb) => eb.or([eb('expiresAt', '<', before), eb('revokedAt', '<', before), eb('absoluteExpiresAt', '<', before)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type SessionRepository = ReturnType<typeof createSessionRepository>;
