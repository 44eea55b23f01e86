import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.ts';
import { NO_CLIENT, type ClientInfo } from '../lib/client-info.ts';
import type { Clock } from '../lib/clock.ts';
import { accountDisabled, notFound, refreshFailed } from '../lib/errors.ts';
import { sha256 } from '../lib/hash.ts';
import { newId } from '../lib/ids.ts';
import type { Revocations } from '../revocation/revocations.ts';
import type { AccessTokens } from '../tokens/access-token.ts';
import type { RefreshClaims, RefreshTokens } from '../tokens/refresh-token.ts';
import { TokenError } from '../tokens/token-error.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { User } from '../users/user.ts';
import type { EndSessions } from './end-sessions.ts';
import type { SessionRepository } from './session.repository.ts';
import { isLive, type Session } from './session.ts';

/** What login and refresh hand back: the HTTP layer turns it into a body and cookies. */
export interface IssuedTokens {
  user: User;
  sessionId: string;
  accessToken: string;
  accessExpiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
}

export interface SessionSettings {
  refreshTtlSeconds: number;
  /** JWT_REFRESH_REUSE_INTERVAL, in seconds. */
  reuseIntervalSeconds: number;
  /** SESSION_MAX_LIFETIME, in seconds. */
  maxLifetimeSeconds: number | undefined;
}

const ended = () => refreshFailed('invalid_token', 'The session of this refresh token has ended.');

/**
 * Sessions: started at login, rotated at every refresh (one family of refresh tokens, reuse
 * ending it), and ended by logout, logout-all or the user. Every end goes through endSessions,
 * which persists and applies the revocation together.
 */
export function createSessionsService(deps: {
  settings: SessionSettings;
  clock: Clock;
  logger: Logger;
  users: UserRepository;
  sessions: SessionRepository;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  revocations: Revocations;
  endSessions: EndSessions;
  audit: AuditLog;
}) {
  const { settings, clock, logger, users, sessions, accessTokens, refreshTokens, revocations, endSessions, audit } = deps;

  const issue = (
    user: User,
    session: { id: string; amr: string[]; authTime: number },
    refresh: { token: string; exp: number },
  ): IssuedTokens => ({
    user,
    sessionId: session.id,
    accessToken: accessTokens.sign({ sub: user.id, roles: user.roles, sid: session.id, amr: session.amr, authTime: session.authTime })
      .token,
    accessExpiresIn: accessTokens.ttlSeconds,
    refreshToken: refresh.token,
    refreshExpiresIn: Math.max(0, refresh.exp - Math.floor(clock.now() / 1000)),
  });

  /** Refresh-token expiry for a session: the refresh lifetime, capped by SESSION_MAX_LIFETIME. */
  const refreshExpiry = (now: number, absoluteExpiresAt: number | null): number =>
    Math.min(now + settings.refreshTtlSeconds * 1000, absoluteExpiresAt ?? Number.POSITIVE_INFINITY);

  /** Verifies a refresh token's signature and type, mapping failures to the contract's codes. */
  const readRefreshToken = (token: string): RefreshClaims => {
    try {
      return refreshTokens.verify(token);
    } catch (error) {
      if (error instanceof TokenError && error.reason === 'expired') throw refreshFailed('token_expired', 'The refresh token has expired.');
      if (error instanceof TokenError) throw refreshFailed('invalid_token', error.detail);
      throw error;
    }
  };

  /** The live session and its enabled user for a refresh token, or the reason there is none. */
  const liveSessionOf = async (claims: RefreshClaims, now: number): Promise<{ session: Session; user: User }> => {
    const found = await sessions.findWithUser(claims.sid);
    if (!found || found.session.userId !== claims.sub)
      throw refreshFailed('invalid_token', 'The session of this refresh token does not exist.');
    const { session, user } = found;
    if (!isLive(session, now)) {
      if (session.revokedAt === null) await endSessions({ sessionId: session.id }, 'expired');
      throw ended();
    }
    if (!user || user.disabled) {
      await endSessions({ sessionId: session.id }, 'disabled');
      throw ended();
    }
    return { session, user };
  };

  return {
    readRefreshToken,

    /**
     * Starts a session for a user whose password (and, with MFA, a second factor) was just
     * checked. `amr` (RFC 8176) names what was proven; the session keeps it for every refresh.
     */
    async start(user: User, client: ClientInfo, amr: string[] = ['pwd']): Promise<IssuedTokens> {
      const now = clock.now();
      const sessionId = newId(now);
      const absoluteExpiresAt = settings.maxLifetimeSeconds ? now + settings.maxLifetimeSeconds * 1000 : null;
      const expiresAt = refreshExpiry(now, absoluteExpiresAt);
      const refresh = refreshTokens.sign({ sub: user.id, sid: sessionId }, Math.floor(expiresAt / 1000));
      await sessions.create({
        id: sessionId,
        userId: user.id,
        now,
        expiresAt,
        absoluteExpiresAt,
        userAgent: client.userAgent,
        ip: client.ip,
        amr,
        authTime: now,
        tokenHash: sha256(refresh.token),
        tokenExpiresAt: refresh.claims.exp * 1000,
      });
      // An admin may have disabled the account, or removed a role, while the password was being
      // checked: their change ended the sessions that existed then, not this one. Read the user
      // again now that the session exists, and issue what is true now (a change that commits
      // later ends this session too).
      const current = await users.findById(user.id);
      if (!current || current.disabled) {
        await endSessions({ sessionId }, 'disabled');
        throw accountDisabled();
      }
      await audit.record({ type: 'login.success', userId: current.id, ...client, details: { sessionId } });
      return issue(current, { id: sessionId, amr, authTime: now }, { token: refresh.token, exp: refresh.claims.exp });
    },

    /**
     * Rotation. The old token is consumed atomically; presenting an already-rotated one is
     * reuse and ends the whole session, unless it is the direct parent of the live token, inside
     * JWT_REFRESH_REUSE_INTERVAL, exchanged for the first time (two tabs racing).
     */
    async refresh(token: string, client = NO_CLIENT): Promise<IssuedTokens> {
      const claims = readRefreshToken(token);
      const now = clock.now();
      const { session, user } = await liveSessionOf(claims, now);
      const expiresAt = refreshExpiry(now, session.absoluteExpiresAt);
      const next = refreshTokens.sign({ sub: user.id, sid: session.id }, Math.floor(expiresAt / 1000));
      const stored = {
        sessionId: session.id,
        newHash: sha256(next.token),
        now,
        tokenExpiresAt: next.claims.exp * 1000,
        sessionExpiresAt: expiresAt,
      };
      const result = await sessions.rotate({ ...stored, oldHash: sha256(token) });
      if (result.outcome === 'rotated') return issue(user, session, { token: next.token, exp: next.claims.exp });
      if (result.outcome === 'ended') throw ended();
      if (result.outcome === 'unknown') throw refreshFailed('invalid_token', 'The refresh token is not known.');

      const graceMs = settings.reuseIntervalSeconds * 1000;
      if (graceMs > 0 && result.child !== null && !result.graceUsed && now - result.usedAt <= graceMs) {
        const again = await sessions.exchangeAgain({ ...stored, parentHash: sha256(token), childHash: result.child });
        if (again.outcome === 'ended') throw ended();
        if (again.outcome === 'added') return issue(user, session, { token: next.token, exp: next.claims.exp });
      }
      await endSessions({ sessionId: session.id }, 'reuse');
      await audit.record({ type: 'refresh.reuse_detected', userId: user.id, ...client, details: { sessionId: session.id } });
      logger.warn({ userId: user.id, sessionId: session.id }, 'refresh token reuse detected; session ended');
      throw refreshFailed('refresh_reused', 'This refresh token was already used; the session has been ended.');
    },

    /** Ends the session of a refresh token, if it is one of ours; silent otherwise (logout is always 204). */
    async logout(refreshToken: string | undefined, client = NO_CLIENT): Promise<void> {
      if (!refreshToken) return;
      let claims: RefreshClaims;
      try {
        claims = refreshTokens.verify(refreshToken);
      } catch (error) {
        if (error instanceof TokenError) return;
        throw error;
      }
      const session = await sessions.find(claims.sid);
      if (session && session.userId === claims.sub && (await endSessions({ sessionId: session.id }, 'logout')).length > 0) {
        await audit.record({ type: 'logout', userId: session.userId, ...client, details: { sessionId: session.id } });
      }
    },

    /** Revokes one access token at once, on every instance (logout with a Bearer token). */
    revokeAccessToken: (claims: { jti: string; exp: number }) => revocations.revokeToken(claims.jti, claims.exp),

    async logoutAll(userId: string, client = NO_CLIENT): Promise<void> {
      const ended = await endSessions({ userId }, 'logout_all');
      await audit.record({ type: 'logout_all', userId, ...client, details: { sessions: ended.length } });
    },

    /** A user ends one of their own sessions; `not_found` for anyone else's. */
    async deleteSession(userId: string, sessionId: string, client = NO_CLIENT): Promise<void> {
      const session = await sessions.find(sessionId);
      if (!session || session.userId !== userId) throw notFound('No such session.');
      await endSessions({ sessionId, userId }, 'deleted');
      await audit.record({ type: 'session.deleted', userId, ...client, details: { sessionId } });
    },

    listLive: (userId: string) => sessions.listLive(userId, clock.now()),
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
