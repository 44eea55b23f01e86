import type { AuditLog } from '../audit/audit-log.ts';
import type { RecentAuth } from '../auth/recent-auth.ts';
import type { Throttled } from '../auth/throttled.ts';
import type { Notices } from '../mail/notices.ts';
import type { ClientInfo } from '../lib/client-info.ts';
import type { Clock } from '../lib/clock.ts';
import { emailUnverified, invalidMfaCode, notFound, validationFailed } from '../lib/errors.ts';
import type { EndSessions } from '../sessions/end-sessions.ts';
import type { Actor } from '../users/users.service.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { MfaKeys } from './mfa-keys.ts';
import type { MfaRepository } from './mfa.repository.ts';
import { canonicalRecoveryCode, newRecoveryCodes } from './recovery-codes.ts';
import type { SecondFactor } from './second-factor.ts';
import { matchingSteps, newTotpSecret, otpauthUrl } from './totp.ts';

/** The signed-in user acting on their own MFA, the session they act from (it stays), and its `auth_time` (seconds). */
export interface Caller {
  userId: string;
  sessionId: string;
  authTime?: number | undefined;
}

const alreadyOn = () =>
  validationFailed(
    [{ path: '(body)', message: 'Turn it off first (DELETE /api/auth/mfa/totp with a code) to set up another authenticator.' }],
    'Multi-factor authentication is already on for this account.',
  );
const notOn = () =>
  validationFailed(
    [{ path: '(body)', message: 'Set it up first: POST /api/auth/mfa/totp/setup, then /confirm with a code.' }],
    'Multi-factor authentication is not on for this account.',
  );

/**
 * Enrolment and removal of a user's authenticator, and their recovery codes. Turning MFA on or
 * off and new recovery codes end every other session of the user (in the same transaction); an
 * admin reset ends all of them. Every step is an audit event; turning it on or off is a notice to
 * the account's address. Enrolment and new recovery codes need recent authentication (a stolen
 * access token alone must not be able to lock the owner out behind an attacker's authenticator).
 */
export function createMfaService(deps: {
  issuer: string;
  repository: MfaRepository;
  users: UserRepository;
  keys: MfaKeys;
  factor: SecondFactor;
  endSessions: EndSessions;
  audit: AuditLog;
  clock: Clock;
  throttled: Throttled;
  recentAuth: RecentAuth;
  notices: Notices;
  /** REQUIRE_EMAIL_VERIFICATION: enrolment needs a verified address (`403 email_unverified`). */
  requireVerifiedEmail: boolean;
}) {
  const { issuer, repository, users, keys, factor, endSessions, audit, clock, throttled, recentAuth, notices } = deps;

  /** New recovery codes: the plain codes for the user (shown once), their hashes for the database. */
  const recoverySet = () => {
    const codes = newRecoveryCodes();
    return { codes, hashes: codes.map((code) => keys.recoveryHash(canonicalRecoveryCode(code) ?? code)) };
  };

  /** Enrolment: recent authentication, and a verified address when REQUIRE_EMAIL_VERIFICATION is on. */
  const enrolling = async (caller: Caller, currentPassword: string | undefined, client: ClientInfo) => {
    const { user } = await recentAuth.confirm(caller, currentPassword, client);
    if (deps.requireVerifiedEmail && !user.emailVerified) throw emailUnverified();
    return user;
  };

  const endOthers = (caller: Caller) => (trx: Parameters<EndSessions['within']>[0]) =>
    endSessions.within(trx, { userId: caller.userId, except: caller.sessionId }, 'mfa_changed');

  return {
    /** A new pending authenticator (replacing a pending one); MFA is not on until confirm. */
    async setup(caller: Caller, currentPassword: string | undefined, client: ClientInfo): Promise<{ secret: string; otpauthUrl: string }> {
      const { userId } = caller;
      const user = await enrolling(caller, currentPassword, client);
      if (user.mfaEnabled) throw alreadyOn();
      const secret = newTotpSecret();
      if (!(await repository.savePending(userId, keys.sealSecret(userId, secret), clock.now()))) throw alreadyOn();
      await audit.record({ type: 'mfa.setup_started', userId, ...client });
      return { secret, otpauthUrl: otpauthUrl(secret, issuer, user.email) };
    },

    /** Turns MFA on with a first code from the pending authenticator; returns the recovery codes (shown once). */
    async confirm(
      caller: Caller,
      code: string,
      currentPassword: string | undefined,
      client: ClientInfo,
    ): Promise<{ recoveryCodes: string[] }> {
      const { userId } = caller;
      const user = await enrolling(caller, currentPassword, client);
      const pending = await repository.findTotp(userId);
      if (pending?.confirmedAt) throw alreadyOn();
      if (!pending) throw notOn();
      const recovery = recoverySet();
      const result = await throttled(`mfa:${userId}`, client, async () => {
        const steps = matchingSteps(keys.openSecret(userId, pending.secret), code, clock.now()).filter((s) => s > pending.lastStep);
        const step = steps[0];
        const done =
          step === undefined
            ? undefined
            : await repository.confirm(
                { userId, secret: pending.secret, step, now: clock.now(), codeHashes: recovery.hashes },
                endOthers(caller),
              );
        if (done) return done;
        await audit.record({ type: 'mfa.failure', userId, ...client, details: { purpose: 'confirm' } });
        throw invalidMfaCode();
      });
      result.also.apply();
      await audit.record({ type: 'mfa.enabled', userId, ...client, details: { sessionsEnded: result.also.ids.length } });
      notices.send('mfa-enabled-notice', user);
      return { recoveryCodes: recovery.codes };
    },

    /** Turns MFA off after a TOTP or recovery code; every other session ends. */
    async disable(caller: Caller, code: string, client: ClientInfo): Promise<void> {
      const { userId } = caller;
      const user = await users.findById(userId);
      if (!user?.mfaEnabled) throw notOn();
      const method = await factor.verify(userId, code, 'disable', client);
      const { also } = await repository.remove(userId, clock.now(), (trx) => endOthers(caller)(trx));
      also.apply();
      await audit.record({ type: 'mfa.disabled', userId, ...client, details: { method, sessionsEnded: also.ids.length } });
      notices.send('mfa-disabled-notice', user);
    },

    /** A new set of recovery codes after a TOTP or recovery code; the old set stops working, every other session ends. */
    async regenerateRecoveryCodes(
      caller: Caller,
      code: string,
      currentPassword: string | undefined,
      client: ClientInfo,
    ): Promise<{ recoveryCodes: string[] }> {
      const { userId } = caller;
      if (!(await recentAuth.confirm(caller, currentPassword, client)).user.mfaEnabled) throw notOn();
      const method = await factor.verify(userId, code, 'recovery_codes', client);
      const recovery = recoverySet();
      const result = await repository.replaceRecoveryCodes(userId, recovery.hashes, clock.now(), endOthers(caller));
      if (!result) throw notOn(); // turned off meanwhile
      result.also.apply();
      await audit.record({
        type: 'mfa.recovery_codes_regenerated',
        userId,
        ...client,
        details: { method, sessionsEnded: result.also.ids.length },
      });
      return { recoveryCodes: recovery.codes };
    },

    /** An admin (or the CLI) removes a user's MFA, say for a lost phone: every session of the user ends. */
    async reset(userId: string, actor: Actor): Promise<void> {
      const user = await users.findById(userId);
      if (!user) throw notFound('No such user.');
      const { wasEnabled, also } = await repository.remove(userId, clock.now(), (trx) => endSessions.within(trx, { userId }, 'mfa_reset'));
      also.apply();
      await audit.record({
        type: 'mfa.reset',
        userId,
        actorId: actor.actorId,
        ip: actor.ip ?? null,
        userAgent: actor.userAgent ?? null,
        requestId: actor.requestId ?? null,
        details: { wasEnabled, sessionsEnded: also.ids.length, via: actor.via },
      });
      if (wasEnabled) notices.send('mfa-reset-notice', user);
    },

    /**
     * A password reset of an account whose address was never verified: its second factors go
     * (pending or on), with every session, so that whoever owns the mailbox gets the account
     * back. Resolves to whether MFA was on (the reset's notice says so) and the sessions it ended.
     */
    async removeAfterUnprovenReset(userId: string, client: ClientInfo): Promise<{ wasEnabled: boolean; sessionsEnded: number }> {
      const { wasEnabled, also } = await repository.remove(userId, clock.now(), (trx) =>
        endSessions.within(trx, { userId }, 'password_reset'),
      );
      also.apply();
      if (wasEnabled) {
        await audit.record({
          type: 'mfa.reset',
          userId,
          ...client,
          details: { wasEnabled, sessionsEnded: also.ids.length, via: 'password_reset' },
        });
      }
      return { wasEnabled, sessionsEnded: also.ids.length };
    },
  };
}

export type MfaService = ReturnType<typeof createMfaService>;
