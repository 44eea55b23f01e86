import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { sha256 } from '../lib/hash.ts';
import { AppError, accountDisabled, invalidCredentials, rateLimited, refreshFailed, validationFailed } from '../http/errors.ts';
import type { AccountThrottle } from '../http/account-throttle.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { EndSessions } from '../sessions/end-sessions.ts';
import type { SessionRepository } from '../sessions/session.repository.ts';
import { isLive } from '../sessions/session.ts';
import type { AccessTokens } from '../tokens/access-token.ts';
import type { RefreshTokens } from '../tokens/refresh-token.ts';
import { TokenError } from '../tokens/token-error.ts';
import { EmailTakenError, type UserRepository } from '../users/user.repository.ts';
import type { User } from '../users/user.ts';
import { normalizeEmail } from './email.ts';
import type { DeviceCookies } from './device-cookie.ts';
import type { PasswordHasher } from './password.ts';
import { passwordEmailProblem } from './password-rules.ts';

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
  /** A new device cookie value, after a password login. */
  deviceToken?: string;
}

export interface AuthServiceDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  users: UserRepository;
  sessions: SessionRepository;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  endSessions: EndSessions;
  throttle: AccountThrottle;
  audit: AuditLog;
  passwords: PasswordHasher;
  devices: DeviceCookies;
}

const NO_CLIENT: ClientInfo = { userAgent: null, ip: null };

export const DEFAULT_ROLES = ['user'];

/** Signup, login, rotation and the ways a session ends. HTTP-free: routes adapt it. */
export function createAuthService(deps: AuthServiceDeps) {
  const { config, clock, logger, users, sessions, accessTokens, refreshTokens, endSessions, throttle, audit, passwords, devices } = deps;
  /** A hash to verify against when the email is unknown, so both failures cost the same. */
  const dummyHash = passwords.hash(`dummy-${newId(clock.now())}`);

  /**
   * Runs a password check under the account throttle: refused while the account is locked,
   * a failure counted, a success clearing the count. A throttle outage (Redis down) is
   * logged and does not stop logins.
   */
  const throttled = async <T>(key: string, client: ClientInfo, check: () => Promise<T>): Promise<T> => {
    const lockedMs = await throttle.attempt(key).catch((error: unknown) => {
      // The outage itself is logged once by the Redis client; one line per login would flood the log.
      logger.debug({ err: error }, 'account throttle unavailable');
      return 0;
    });
    if (lockedMs > 0) {
      await audit.record({
        type: 'login.locked',
        ...client,
        details: { scope: key.split(':')[0] ?? key, seconds: Math.ceil(lockedMs / 1000) },
      });
      throw rateLimited(Math.ceil(lockedMs / 1000));
    }
    const result = await check();
    await throttle.succeed(key).catch(() => {});
    return result;
  };

  /** The password check itself; only ever called under the throttle (checkCredentials). */
  const verifyCredentials = async (email: string, password: string, client: ClientInfo): Promise<User> => {
    const found = await users.findCredentialsByEmail(email);
    const check = await passwords.verify(found?.passwordHash ?? (await dummyHash), password);
    if (!found || !check.ok) {
      // The attempted address of an unknown account is not kept: it may be a mistyped password.
      await audit.record({
        type: 'login.failure',
        userId: found?.user.id ?? null,
        ...client,
        details: { reason: found ? 'wrong_password' : 'unknown_email' },
      });
      throw invalidCredentials();
    }
    if (found.user.disabled) {
      await audit.record({ type: 'login.failure', userId: found.user.id, ...client, details: { reason: 'disabled' } });
      throw accountDisabled();
    }
    if (check.needsRehash) {
      const rehashed = await passwords.hash(password);
      await users.updatePasswordHash(found.user.id, rehashed, clock.now(), found.passwordHash);
      logger.info({ userId: found.user.id }, 'password re-hashed with argon2id');
    }
    return found.user;
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
    async signup(input: { email: string; password: string; name?: string | undefined }, client = NO_CLIENT): Promise<User> {
      const email = normalizeEmail(input.email);
      const passwordHash = await passwords.hash(input.password);
      const now = clock.now();
      try {
        const user = await users.create({ id: newId(now), email, name: input.name ?? null, passwordHash, roles: DEFAULT_ROLES, now });
        await audit.record({ type: 'signup', userId: user.id, ...client });
        return user;
      } catch (error) {
        if (error instanceof EmailTakenError) {
          throw new AppError(409, 'email_taken', 'An account with this email already exists.');
        }
        throw error;
      }
    },

    /**
     * Checks a password against an email; same work and answer for an unknown email and a wrong
     * password. Attempts are counted against the account, or, with a valid device cookie for
     * this email, against that browser only: failures from elsewhere never lock it out.
     */
    async checkCredentials(emailInput: string, password: string, client = NO_CLIENT, deviceCookie?: string): Promise<User> {
      const email = normalizeEmail(emailInput);
      const device = devices.deviceFor(deviceCookie, email);
      return throttled(device ? `device:${device}` : `login:${email}`, client, () => verifyCredentials(email, password, client));
    },

    async login(emailInput: string, password: string, client: ClientInfo, deviceCookie?: string): Promise<IssuedTokens> {
      const user = await this.checkCredentials(emailInput, password, client, deviceCookie);
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
      // An admin may have disabled the account while the password was being checked; its
      // sessions were ended before this one existed, so end this one too.
      if ((await users.findById(user.id))?.disabled) {
        await endSessions({ sessionId }, 'disabled');
        throw accountDisabled();
      }
      await audit.record({ type: 'login.success', userId: user.id, ...client, details: { sessionId } });
      return { ...issue(user, sessionId, { token: refresh.token, exp: refresh.claims.exp }), deviceToken: devices.issue(user.email) };
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
    async refresh(token: string, client = NO_CLIENT): Promise<IssuedTokens> {
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
      if (result.outcome === 'ended') throw refreshFailed('invalid_token', 'The session of this refresh token has ended.');
      if (result.outcome === 'unknown') throw refreshFailed('invalid_token', 'The refresh token is not known.');

      // JWT_REFRESH_REUSE_INTERVAL: the direct parent of the live token may be exchanged once
      // more inside the window (two tabs racing); any other use of a used token is reuse.
      const graceMs = config.jwt.refreshReuseInterval * 1000;
      if (graceMs > 0 && result.child !== null && !result.graceUsed && now - result.usedAt <= graceMs) {
        const again = await sessions.exchangeAgain({
          sessionId: session.id,
          parentHash: sha256(token),
          childHash: result.child,
          newHash,
          now,
          tokenExpiresAt: next.claims.exp * 1000,
          sessionExpiresAt: expiresAt,
        });
        if (again.outcome === 'ended') throw refreshFailed('invalid_token', 'The session of this refresh token has ended.');
        if (again.outcome === 'added') return issue(user, session.id, { token: next.token, exp: next.claims.exp });
      }
      await endSessions({ sessionId: session.id }, 'reuse');
      await audit.record({ type: 'refresh.reuse_detected', userId: user.id, ...client, details: { sessionId: session.id } });
      logger.warn({ userId: user.id, sessionId: session.id }, 'refresh token reuse detected; session ended');
      throw refreshFailed('refresh_reused', 'This refresh token was already used; the session has been ended.');
    },

    /** Ends the session of a refresh token, if it is one of ours; silent otherwise (logout is always 204). */
    async logout(refreshToken: string | undefined, client = NO_CLIENT): Promise<void> {
      if (!refreshToken) return;
      let claims;
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

    /** A user ends one of their sessions (DELETE /api/auth/sessions/:id). */
    async deleteSession(userId: string, sessionId: string, client = NO_CLIENT): Promise<void> {
      await endSessions({ sessionId, userId }, 'deleted');
      await audit.record({ type: 'session.deleted', userId, ...client, details: { sessionId } });
    },

    async logoutAll(userId: string, client = NO_CLIENT): Promise<void> {
      const ended = await endSessions({ userId }, 'logout_all');
      await audit.record({ type: 'logout_all', userId, ...client, details: { sessions: ended.length } });
    },

    async changePassword(
      userId: string,
      currentSessionId: string,
      currentPassword: string,
      newPassword: string,
      client = NO_CLIENT,
    ) {
      const found = await users.findCredentialsById(userId);
      if (!found) throw invalidCredentials();
      await throttled(`password:${userId}`, client, async () => {
        if (!(await passwords.verify(found.passwordHash, currentPassword)).ok) throw invalidCredentials();
      });
      const problem = passwordEmailProblem(newPassword, found.user.email);
      if (problem) throw validationFailed([{ path: 'newPassword', message: problem }]);
      const passwordHash = await passwords.hash(newPassword);
      await users.updatePasswordHash(userId, passwordHash, clock.now());
      const ended = await endSessions({ userId, except: currentSessionId }, 'password_change');
      await audit.record({ type: 'password.changed', userId, ...client, details: { sessionsEnded: ended.length } });
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
