import type { AuditLog } from '../audit/audit-log.ts';
import { lastAdmin, notFound } from '../http/errors.ts';
import type { Clock } from '../lib/clock.ts';
import type { EndSessions } from '../sessions/end-sessions.ts';
import type { AdminChange, UserRepository } from './user.repository.ts';
import type { User } from './user.ts';

/** Who makes an admin change, for the audit trail: an admin over the API, the CLI, or start-up configuration. */
export interface Actor {
  actorId: string | null;
  via: 'api' | 'cli' | 'config';
  ip?: string | null;
  userAgent?: string | null;
  /** The operating-system account that ran the CLI. */
  osUser?: string;
}

/**
 * Changes to accounts made by someone other than their owner: roles, disable, enable. Each
 * is guarded against removing the last enabled admin, writes an audit event naming the
 * actor, and ends the user's sessions when it takes something away.
 */
export function createUsersService(deps: { users: UserRepository; endSessions: EndSessions; audit: AuditLog; clock: Clock }) {
  const { users, endSessions, audit, clock } = deps;

  const change = async (userId: string, what: AdminChange): Promise<{ before: User; after: User }> => {
    const result = await users.changeUnlessLastAdmin(userId, what, clock.now());
    if (result.outcome === 'not_found') throw notFound('No such user.');
    if (result.outcome === 'last_admin') throw lastAdmin();
    return result;
  };

  const record = (type: 'user.roles_changed' | 'user.disabled' | 'user.enabled', userId: string, actor: Actor, details: Record<string, string | number>) =>
    audit.record({
      type,
      userId,
      actorId: actor.actorId,
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { ...details, via: actor.via, ...(actor.osUser ? { osUser: actor.osUser } : {}) },
    });

  return {
    /**
     * Replaces a user's roles. Removing any role ends every session of the user, so tokens that
     * still carry it stop working at once (401 token_revoked); added roles arrive with the next
     * refresh or login.
     */
    async setRoles(userId: string, roles: string[], actor: Actor): Promise<User> {
      const { before, after } = await change(userId, { roles });
      const removed = before.roles.filter((role) => !after.roles.includes(role));
      const ended = removed.length > 0 ? await endSessions({ userId }, 'roles_changed') : [];
      await record('user.roles_changed', userId, actor, {
        roles: after.roles.join(','),
        removed: removed.join(','),
        sessionsEnded: ended.length,
      });
      return after;
    },

    /** Disables an account: every session and its access tokens end; login answers account_disabled. */
    async disable(userId: string, actor: Actor): Promise<void> {
      await change(userId, { disabled: true });
      const ended = await endSessions({ userId }, 'disabled');
      await record('user.disabled', userId, actor, { sessionsEnded: ended.length });
    },

    async enable(userId: string, actor: Actor): Promise<void> {
      await change(userId, { disabled: false });
      await record('user.enabled', userId, actor, {});
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
