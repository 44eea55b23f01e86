import type { Transaction } from 'kysely';
import type { DatabaseSchema } from '../database.ts';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.ts';
import { NO_CLIENT, type ClientInfo } from '../lib/client-info.ts';
import type { Clock } from '../lib/clock.ts';
import { accountDisabled, emailUnverified, invalidCredentials, validationFailed } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { normalizeEmail } from '../users/email.ts';
import type { PasswordHasher } from '../users/password.ts';
import { passwordEmailProblem } from '../users/password-rules.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { User } from '../users/user.ts';
import type { Notices } from '../mail/notices.ts';
import type { AccountThrottle } from './account-throttle.ts';
import type { DeviceCookies } from './device-cookie.ts';
import { createThrottled } from './throttled.ts';

/**
 * Ends every session of a user but one, inside the caller's transaction (sessions/end-sessions.ts);
 * passed in, so auth/ does not write sessions itself. `apply()` once the transaction committed.
 */
export interface EndOtherSessions {
  within(
    trx: Transaction<DatabaseSchema>,
    target: { userId: string; except: string },
    reason: 'password_change',
  ): Promise<{ ids: string[]; apply(): void }>;
}

/**
 * Password checks, always under the account throttle, and password changes. The same work
 * and answer for an unknown email and a wrong password.
 */
export function createCredentialsService(deps: {
  clock: Clock;
  logger: Logger;
  users: UserRepository;
  throttle: AccountThrottle;
  audit: AuditLog;
  passwords: PasswordHasher;
  devices: DeviceCookies;
  endSessions: EndOtherSessions;
  notices: Notices;
  /** REQUIRE_EMAIL_VERIFICATION: a correct password of an unverified account gets 403 email_unverified. */
  requireVerifiedEmail?: boolean;
}) {
  const { clock, logger, users, throttle, audit, passwords, devices, endSessions } = deps;
  /** A hash to verify against when the email is unknown, so both failures cost the same. */
  const dummyHash = passwords.hash(`dummy-${newId(clock.now())}`);

  const throttled = createThrottled({ throttle, audit, logger });

  type Credentials = Awaited<ReturnType<UserRepository['findCredentialsByEmail']>>;

  /** The password check itself; only ever called under the throttle. Returns the user and the hash now stored. */
  const verify = async (found: Credentials, password: string, client: ClientInfo): Promise<{ user: User; passwordHash: string }> => {
    const check = await passwords.verify(found?.passwordHash ?? (await dummyHash), password);
    if (!found || !check.ok) {
      // The attempted address of an unknown account is not kept: it may be a mistyped password.
      const reason = found ? 'wrong_password' : 'unknown_email';
      await audit.record({ type: 'login.failure', userId: found?.user.id ?? null, ...client, details: { reason } });
      throw invalidCredentials(reason);
    }
    if (found.user.disabled) {
      await audit.record({ type: 'login.failure', userId: found.user.id, ...client, details: { reason: 'disabled' } });
      throw accountDisabled('disabled');
    }
    if (deps.requireVerifiedEmail && !found.user.emailVerified) {
      await audit.record({ type: 'login.failure', userId: found.user.id, ...client, details: { reason: 'email_unverified' } });
      throw emailUnverified();
    }
    if (check.needsRehash) {
      const rehashed = await passwords.hash(password);
      if (await users.updatePasswordHash(found.user.id, rehashed, clock.now(), found.passwordHash)) {
        logger.info({ userId: found.user.id }, 'password re-hashed with argon2id');
        return { user: found.user, passwordHash: rehashed };
      }
    }
    return { user: found.user, passwordHash: found.passwordHash };
  };

  return {
    /**
     * Checks a password against an email. Attempts count against the account, or, with a valid
     * device cookie for this email, against that browser only: failures from elsewhere never
     * lock it out. Returns a new device cookie value for the browser.
     */
    async check(
      emailInput: string,
      password: string,
      client = NO_CLIENT,
      deviceCookie?: string,
    ): Promise<{ user: User; deviceToken: string }> {
      const email = normalizeEmail(emailInput);
      // Read before the throttle: a device cookie is valid only for the account's current password.
      const found = await users.findCredentialsByEmail(email);
      const device = devices.deviceFor(deviceCookie, email, found?.passwordHash);
      const { user, passwordHash } = await throttled(device ? `device:${device}` : `login:${email}`, client, () =>
        verify(found, password, client),
      );
      return { user, deviceToken: devices.issue(user.email, passwordHash) };
    },

    /**
     * A device cookie value for a user who has just completed a login whose last step was not
     * the password (the second factor): bound, like every device token, to the current password.
     */
    async deviceTokenFor(userId: string): Promise<string | undefined> {
      const found = await users.findCredentialsById(userId);
      return found && devices.issue(found.user.email, found.passwordHash);
    },

    /** Checks a signed-in user's password, as the caller read it (throttled like a password change): recent-auth.ts. */
    async confirmPassword(found: { user: User; passwordHash: string }, password: string, client = NO_CLIENT): Promise<void> {
      await throttled(`password:${found.user.id}`, client, async () => {
        if (!(await passwords.verify(found.passwordHash, password)).ok) throw invalidCredentials('wrong_password');
      });
    },

    /**
     * Changes the password after checking the current one (throttled); every other session ends,
     * and with them every pending email link (endSessions), and the address gets a notice.
     */
    async changePassword(
      input: { userId: string; currentSessionId: string; currentPassword: string; newPassword: string },
      client = NO_CLIENT,
    ): Promise<void> {
      const found = await users.findCredentialsById(input.userId);
      if (!found) throw invalidCredentials();
      await throttled(`password:${input.userId}`, client, async () => {
        if (!(await passwords.verify(found.passwordHash, input.currentPassword)).ok) throw invalidCredentials('wrong_password');
      });
      const problem = passwordEmailProblem(input.newPassword, found.user.email);
      if (problem) throw validationFailed([{ path: 'newPassword', message: problem }]);
      const hash = await passwords.hash(input.newPassword);
      const ended = await users.replacePasswordHash(input.userId, hash, clock.now(), (trx) =>
        endSessions.within(trx, { userId: input.userId, except: input.currentSessionId }, 'password_change'),
      );
      ended.apply();
      await audit.record({ type: 'password.changed', userId: input.userId, ...client, details: { sessionsEnded: ended.ids.length } });
      deps.notices.send('password-change-notice', found.user);
    },
  };
}

export type CredentialsService = ReturnType<typeof createCredentialsService>;
