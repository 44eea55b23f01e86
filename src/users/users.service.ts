import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit-log.ts';
import type { DatabaseSchema } from '../database.ts';
import type { ClientInfo } from '../lib/client-info.ts';
import type { Clock } from '../lib/clock.ts';
import { emailTaken, lastAdmin, notFound } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { normalizeEmail } from './email.ts';
import type { PasswordHasher } from './password.ts';
import { EmailTakenError, type AdminChange, type UserRepository } from './user.repository.ts';
import type { User } from './user.ts';

/** Who makes a change, for the audit trail: the user themself, an admin over the API, the CLI, or start-up configuration. */
export interface Actor extends Partial<ClientInfo> {
  actorId: string | null;
  via: 'self' | 'api' | 'cli' | 'config';
  /** The operating-system account that ran the CLI. */
  osUser?: string;
}

/**
 * Ends every session of a user inside a transaction (sessions/end-sessions.ts); passed in, so
 * users/ does not depend on sessions/. `apply()` after commit makes it take effect here at once.
 */
export interface EndUserSessions {
  within(
    trx: Transaction<DatabaseSchema>,
    target: { userId: string },
    reason: 'roles_changed' | 'disabled',
  ): Promise<{ ids: string[]; apply(): void }>;
}

const NOTHING_ENDED = { ids: [] as string[], apply: () => {} };

const DEFAULT_ROLES = ['user'];

/**
 * Accounts: creation (signup, the CLI, ADMIN_EMAIL all come here) and the changes made by
 * someone other than their owner: roles, disable, enable. Each change is guarded against
 * removing the last enabled admin, writes an audit event naming the actor, and ends the user's
 * sessions when it takes something away.
 */
export function createUsersService(deps: {
  users: UserRepository;
  endSessions: EndUserSessions;
  audit: AuditLog;
  clock: Clock;
  passwords: Pick<PasswordHasher, 'hash'>;
}) {
  const { users, endSessions, audit, clock, passwords } = deps;

  /**
   * Writes the change and, in the same transaction, ends the user's sessions when it takes
   * something away (a role, or the account): both commit or neither does, so a failure cannot
   * leave a demoted user with live tokens, and a retry still finds the work to do.
   */
  const change = async (userId: string, what: AdminChange): Promise<{ before: User; after: User; ended: string[] }> => {
    const result = await users.changeUnlessLastAdmin(userId, what, clock.now(), (trx, before, after) => {
      const removesRole = before.roles.some((role) => !after.roles.includes(role));
      if (after.disabled) return endSessions.within(trx, { userId }, 'disabled');
      if (removesRole) return endSessions.within(trx, { userId }, 'roles_changed');
      return Promise.resolve(NOTHING_ENDED);
    });
    if (result.outcome === 'not_found') throw notFound('No such user.');
    if (result.outcome === 'last_admin') throw lastAdmin();
    result.also.apply();
    return { before: result.before, after: result.after, ended: result.also.ids };
  };

  const record = (
    type: 'signup' | 'user.created' | 'user.roles_changed' | 'user.disabled' | 'user.enabled',
    userId: string,
    actor: Actor,
    details: Record<string, string | number> = {},
  ) =>
    audit.record({
      type,
      userId,
      actorId: actor.actorId,
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      requestId: actor.requestId ?? null,
      details: { ...details, via: actor.via, ...(actor.osUser ? { osUser: actor.osUser } : {}) },
    });

  return {
    /**
     * Creates an account from a password (hashed here) or an imported hash. `email_taken` for
     * an address in use, whatever its spelling (it is normalised first).
     */
    async create(
      input: { email: string; name?: string | undefined; roles?: string[] } & ({ password: string } | { passwordHash: string }),
      actor: Actor,
    ): Promise<User> {
      const passwordHash = 'password' in input ? await passwords.hash(input.password) : input.passwordHash;
      const now = clock.now();
      let user: User;
      try {
        user = await users.create({
          id: newId(now),
          email: normalizeEmail(input.email),
          name: input.name ?? null,
          passwordHash,
          roles: input.roles ?? DEFAULT_ROLES,
          // An operator (CLI, ADMIN_EMAIL) vouches for the address; a signup must prove it.
          emailVerified: actor.via !== 'self',
          now,
        });
      } catch (error) {
        if (error instanceof EmailTakenError) throw emailTaken();
        throw error;
      }
      if (actor.via === 'self') await record('signup', user.id, actor);
      else await record('user.created', user.id, actor, { roles: user.roles.join(',') });
      return user;
    },

    async get(userId: string): Promise<User> {
      const user = await users.findById(userId);
      if (!user) throw notFound('No such user.');
      return user;
    },

    /** A page of users in id (creation) order, and whether more follow. */
    async list(limit: number, after?: string): Promise<{ users: User[]; more: boolean }> {
      const page = await users.list(limit + 1, after);
      return { users: page.slice(0, limit), more: page.length > limit };
    },

    /**
     * Replaces a user's roles. Removing any role ends every session of the user, so tokens that
     * still carry it stop working at once (401 token_revoked); added roles arrive with the next
     * refresh or login.
     */
    async setRoles(userId: string, roles: string[], actor: Actor): Promise<User> {
      const { before, after, ended } = await change(userId, { roles });
      const removed = before.roles.filter((role) => !after.roles.includes(role));
      await record('user.roles_changed', userId, actor, {
        roles: after.roles.join(','),
        removed: removed.join(','),
        sessionsEnded: ended.length,
      });
      return after;
    },

    /** Disables an account: every session and its access tokens end; login answers account_disabled. */
    async disable(userId: string, actor: Actor): Promise<void> {
      const { ended } = await change(userId, { disabled: true });
      await record('user.disabled', userId, actor, { sessionsEnded: ended.length });
    },

    async enable(userId: string, actor: Actor): Promise<void> {
      await change(userId, { disabled: false });
      await record('user.enabled', userId, actor);
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
