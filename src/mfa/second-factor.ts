import type { AuditLog } from '../audit/audit-log.ts';
import type { Throttled } from '../auth/throttled.ts';
import type { ClientInfo } from '../lib/client-info.ts';
import type { Clock } from '../lib/clock.ts';
import { invalidMfaCode } from '../lib/errors.ts';
import type { MfaKeys } from './mfa-keys.ts';
import type { MfaRepository } from './mfa.repository.ts';
import { canonicalRecoveryCode } from './recovery-codes.ts';
import { matchingSteps, TOTP_CODE } from './totp.ts';

export type FactorMethod = 'totp' | 'recovery_code';

/** Where a code was presented, for the audit trail. */
export type FactorPurpose = 'login' | 'disable' | 'recovery_codes';

/**
 * Checks a second factor of a user whose MFA is on: a TOTP code of the authenticator (each time
 * step once) or an unused recovery code (once), always under the account throttle (`mfa:<id>`),
 * so guesses at the code are limited wherever they come from (login, or a stolen access token
 * trying to turn MFA off).
 */
export function createSecondFactor(deps: {
  repository: MfaRepository;
  keys: MfaKeys;
  throttled: Throttled;
  audit: AuditLog;
  clock: Clock;
}) {
  const { repository, keys, throttled, audit, clock } = deps;

  /** The method `code` is valid for, consuming it; undefined for a wrong, expired or used code. */
  const consume = async (userId: string, code: string): Promise<FactorMethod | undefined> => {
    if (TOTP_CODE.test(code)) {
      const totp = await repository.findTotp(userId);
      if (!totp?.confirmedAt) return undefined;
      const steps = matchingSteps(keys.openSecret(userId, totp.secret), code, clock.now());
      for (const step of steps.filter((s) => s > totp.lastStep)) {
        // The conditional UPDATE decides: of two requests (or instances) with one code, one wins.
        if (await repository.useStep(userId, step)) return 'totp';
      }
      return undefined;
    }
    const canonical = canonicalRecoveryCode(code);
    if (canonical && (await repository.useRecoveryCode(userId, keys.recoveryHash(canonical), clock.now()))) return 'recovery_code';
    return undefined;
  };

  return {
    /** Consumes a valid code, or throws invalid_mfa_code (counted) or rate_limited. */
    async verify(userId: string, code: string, purpose: FactorPurpose, client: ClientInfo): Promise<FactorMethod> {
      return throttled(`mfa:${userId}`, client, async () => {
        const method = await consume(userId, code);
        if (method) return method;
        await audit.record({ type: 'mfa.failure', userId, ...client, details: { purpose } });
        throw invalidMfaCode();
      });
    },
  };
}

export type SecondFactor = ReturnType<typeof createSecondFactor>;
