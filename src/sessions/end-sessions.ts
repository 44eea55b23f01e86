import type { Clock } from '../lib/clock.ts';
import type { Revocations } from '../revocation/revocations.ts';
import type { SessionRepository } from './session.repository.ts';
import type { EndReason } from './session.ts';

export type EndTarget = Parameters<SessionRepository['end']>[0];

/** Ends sessions; resolves to the ids it ended. */
export type EndSessions = (target: EndTarget, reason: EndReason) => Promise<string[]>;

/**
 * The one way a session ends: the session rows and their revocation rows are written in one
 * transaction, then applied to this instance's index (and broadcast) at once. Other instances
 * read the rows within a poll.
 */
export function createEndSessions(deps: { sessions: SessionRepository; revocations: Revocations; clock: Clock }): EndSessions {
  return async (target, reason) => {
    const now = deps.clock.now();
    const ended = await deps.sessions.end(target, reason, now, deps.revocations.coverUntil(now));
    deps.revocations.applySessions(ended, now);
    return ended;
  };
}
