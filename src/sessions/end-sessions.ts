import type { Transaction } from 'kysely';
import type { DatabaseSchema } from '../database.ts';
import type { Clock } from '../lib/clock.ts';
import type { Revocations } from '../revocation/revocations.ts';
import { endSessionsWithin, type EndTarget, type SessionRepository } from './session.repository.ts';
import type { EndReason } from './session.ts';

export type { EndTarget };

/**
 * The one way a session ends: the session rows and their revocation rows are written in one
 * transaction, then applied to this instance's index (and broadcast) at once. Other instances
 * read the rows within a poll.
 */
export interface EndSessions {
  /** In its own transaction; resolves to the ids it ended. */
  (target: EndTarget, reason: EndReason): Promise<string[]>;
  /**
   * Inside a caller's transaction (a role change and the end of the sessions it invalidates
   * commit together); call `apply()` once that transaction has committed.
   */
  within(trx: Transaction<DatabaseSchema>, target: EndTarget, reason: EndReason): Promise<{ ids: string[]; apply(): void }>;
}

export function createEndSessions(deps: { sessions: SessionRepository; revocations: Revocations; clock: Clock }): EndSessions {
  const { revocations, clock } = deps;
  const end = async (target: EndTarget, reason: EndReason) => {
    const now = clock.now();
    const ended = await deps.sessions.end(target, reason, now, revocations.coverUntil(now));
    revocations.applySessions(ended, now);
    return ended;
  };
  return Object.assign(end, {
    async within(trx: Transaction<DatabaseSchema>, target: EndTarget, reason: EndReason) {
      const now = clock.now();
      const ids = await endSessionsWithin(trx, target, reason, now, revocations.coverUntil(now));
      return { ids, apply: () => revocations.applySessions(ids, now) };
    },
  });
}
