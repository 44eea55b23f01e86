import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { sha256 } from '../lib/hash.ts';
import { AppError, accountDisabled, invalidCredentials, refreshFailed, validationFailed } from '../http/errors.ts';
import type { Revocations } from '../revocation/revocations.ts';
import type { SessionRepository } from '../sessions/session.repository.ts';
import { isLive, type EndReason } from '../sessions/session.ts';
import type { AccessTokens } from '../tokens/access-token.ts';
import type { RefreshTokens } from '../tokens/refresh-token.ts';
import { TokenError } from '../tokens/token-error.ts';
import { EmailTakenError, type UserRepository } from '../users/user.repository.ts';
import type { User } from '../users/user.ts';
import { normalizeEmail } from './email.ts';
import { hashPassword, verifyPassword } from './password.ts';

export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

/** What login and refresh hand back: the HTTP layer turns it into a body and cookies. */
export interface IssuedTokens {
  user: User;
  sessionId: string;
  accessToken: string;
  accessExpiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
}

export interface AuthServiceDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  users: UserRepository;
  sessions: SessionRepository;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  revocations: Revocations;
}

export const DEFAULT_ROLES = ['user'];

/** Signup, login, rotation and the ways a session ends. HTTP-free: routes adapt it. */
export function createAuthService(deps: AuthServiceDeps) {
  const { config, clock, logger, users, sessions, accessTokens, refreshTokens, revocations } = deps;
  let dummyHash: Promise<string> | undefined;

  /** A hash to verify against when the email is unknown, so both failures cost the same. */
  const dummy = () => (dummyHash ??= hashPassword(`dummy-${newId(clock.now())}`));

  const endSessions = async (
    target: Parameters<SessionRepository['end']>[0],
    reason: EndReason,
  ): Promise<string[]> => {
    const now = clock.now();
    const ended = await sessions.end(target, reason, now, revocations.coverUntil(now));
    revocations.applySessions(ended, now);
    return ended;
  };

  /** Issues an access token and a refresh token for a live session. */
  const issue = (user: User, sessionId: string, refresh: { token: string; exp: number }): IssuedTokens => {
    const access = accessTokens.sign({ sub: user.id, roles: user.roles, sid: sessionId });
    return {
      user,
      sessionId,
      accessToken: access.token,
      accessExpiresIn: accessTokens.ttlSeconds,
      refreshToken: refresh.token,
      refreshExpiresIn: Math.max(0, refresh.exp - Math.floor(clock.now() / 1000)),
    };
  };

  /** Refresh-token expiry for a session: the refresh lifetime, capped by SESSION_MAX_LIFETIME. */
  const refreshExpiry = (now: number, absoluteExpiresAt: number | null): number =>
    Math.min(now + config.jwt.refreshTtl * 1000, absoluteExpiresAt ?? Number.POSITIVE_INFINITY);

  return {
    async signup(input: { email: string; password: string; name?: string | undefined }): Promise<User> {
      const email = normalizeEmail(input.email);
      const passwordHash = await hashPassword(input.password);
      const now = clock.now();
      try {
        return await users.create({ id: newId(now), email, name: input.name ?? null, passwordHash, roles: DEFAULT_ROLES, now });
      } catch (error) {
        if (error instanceof EmailTakenError) {
          throw new AppError(409, 'email_taken', 'An account with this email already exists.');
        }
        throw error;
      }
    },

    /** Checks a password against an email; same work and answer for an unknown email and a wrong password. */
    async checkCredentials(emailInput: string, password: string): Promise<User> {
      const email = normalizeEmail(emailInput);
      const found = await users.findCredentialsByEmail(email);
      const check = await verifyPassword(found?.passwordHash ?? (await dummy()), password);
      if (!found || !check.ok) throw invalidCredentials();
      if (found.user.disabled) throw accountDisabled();
      if (check.needsRehash) {
        const rehashed = await hashPassword(password);
        await users.updatePasswordHash(found.user.id, rehashed, clock.now(), found.passwordHash);
        logger.info({ userId: found.user.id }, 'password re-hashed with argon2id');
      }
      return found.user;
    },

    async login(emailInput: string, password: string, client: ClientInfo): Promise<IssuedTokens> {
      const user = await this.checkCredentials(emailInput, password);
      const now = clock.now();
      const sessionId = newId(now);
      const absoluteExpiresAt = config.sessionMaxLifetime ? now + config.sessionMaxLifetime * 1000 : null;
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
        tokenHash: sha256(refresh.token),
        tokenExpiresAt: refresh.claims.exp * 1000,
      });
      return issue(user, sessionId, { token: refresh.token, exp: refresh.claims.exp });
    },

    /** Verifies a refresh token's signature and type; maps failures to the contract's codes. */
    readRefreshToken(token: string) {
      try {
        return refreshTokens.verify(token);
      } catch (error) {
        if (error instanceof TokenError && error.reason === 'expired') {
          throw refreshFailed('token_expired', 'The refresh token has expired.');
        }
        if (error instanceof TokenError) throw refreshFailed('invalid_token', error.detail);
        throw error;
      }
    },

    /**
     * Rotation. The old token is consumed atomically; presenting an already-rotated one is
     * reuse and ends the whole session (family), unless it is the direct parent of the live
     * token and JWT_REFRESH_REUSE_INTERVAL has not passed since its rotation.
     */
    async refresh(token: string): Promise<IssuedTokens> {
      const claims = this.readRefreshToken(token);
      const now = clock.now();
      const session = await sessions.find(claims.sid);
      if (!session || session.userId !== claims.sub) {
        throw refreshFailed('invalid_token', 'The session of this refresh token does not exist.');
      }
      if (!isLive(session, now)) {
        if (session.revokedAt === null) await endSessions({ sessionId: session.id }, 'expired');
        throw refreshFailed('invalid_token', 'The session of this refresh token has ended.');
      }
      const user = await users.findById(session.userId);
      if (!user || user.disabled) {
        await endSessions({ sessionId: session.id }, 'disabled');
        throw refreshFailed('invalid_token', 'The session of this refresh token has ended.');
      }

      const expiresAt = refreshExpiry(now, session.absoluteExpiresAt);
      const next = refreshTokens.sign({ sub: user.id, sid: session.id }, Math.floor(expiresAt / 1000));
      const newHash = sha256(next.token);
      const result = await sessions.rotate({
        sessionId: session.id,
        oldHash: sha256(token),
        newHash,
        now,
        tokenExpiresAt: next.claims.exp * 1000,
        sessionExpiresAt: expiresAt,
      });
      if (result.outcome === 'rotated') return issue(user, session.id, { token: next.token, exp: next.claims.exp });
      if (result.outcome === 'unknown') throw refreshFailed('invalid_token', 'The refresh token is not known.');

      const graceMs = config.jwt.refreshReuseInterval * 1000;
      if (graceMs > 0 && result.childIsLive && now - result.usedAt <= graceMs) {
        await sessions.addToken({
          sessionId: session.id,
          tokenHash: newHash,
          now,
          tokenExpiresAt: next.claims.exp * 1000,
          sessionExpiresAt: expiresAt,
        });
        return issue(user, session.id, { token: next.token, exp: next.claims.exp });
      }
      await endSessions({ sessionId: session.id }, 'reuse');
      logger.warn({ userId: user.id, sessionId: session.id }, 'refresh token reuse detected; session ended');
      throw refreshFailed('refresh_reused', 'This refresh token was already used; the session has been ended.');
    },

    /** Ends the session of a refresh token, if it is one of ours; silent otherwise (logout is always 204). */
    async logout(refreshToken: string | undefined): Promise<void> {
      if (!refreshToken) return;
      let claims;
      try {
        claims = refreshTokens.verify(refreshToken);
      } catch (error) {
        if (error instanceof TokenError) return;
        throw error;
      }
      const session = await sessions.find(claims.sid);
      if (session && session.userId === claims.sub) await endSessions({ sessionId: session.id }, 'logout');
    },

    endSession: (sessionId: string, reason: EndReason) => endSessions({ sessionId }, reason),

    endAllSessions: (userId: string, reason: EndReason, except?: string) =>
      endSessions(except ? { userId, except } : { userId }, reason),

    async changePassword(userId: string, currentSessionId: string, currentPassword: string, newPassword: string) {
      const found = await users.findCredentialsById(userId);
      if (!found) throw invalidCredentials();
      const check = await verifyPassword(found.passwordHash, currentPassword);
      if (!check.ok) throw invalidCredentials();
      if (normalizeEmail(newPassword) === found.user.email) {
        throw validationFailed([{ path: 'newPassword', message: 'The password must not be the email address.' }]);
      }
      const passwordHash = await hashPassword(newPassword);
      await users.updatePasswordHash(userId, passwordHash, clock.now());
      await endSessions({ userId, except: currentSessionId }, 'password_change');
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
