import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.ts';
import type { ClientInfo } from '../lib/client-info.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { sha256 } from '../lib/hash.ts';
import type { IssuedTokens } from '../sessions/sessions.service.ts';
import type { User } from '../users/user.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { MfaRepository } from './mfa.repository.ts';
import type { FactorMethod, SecondFactor } from './second-factor.ts';

/** How long the second step of a login may take. */
export const MFA_CHALLENGE_TTL_MS = 5 * 60 * 1000;
export const MFA_METHODS: readonly FactorMethod[] = ['totp', 'recovery_code'];
/** RFC 8176: a password, then a one-time code (TOTP and recovery codes alike). */
const PASSWORD_AMR = ['pwd'];
const OTP_AMR = 'otp';

const badChallenge = () => new DomainError('invalid_token', 'The mfaToken is unknown, expired or already used: log in again.');

/** What the login route needs from here, passed in as functions so auth/ does not depend on mfa/. */
export interface MfaLoginDeps {
  repository: MfaRepository;
  users: UserRepository;
  factor: SecondFactor;
  /** Starts the session once both factors are proven (sessions.start). */
  startSession(user: User, client: ClientInfo, amr: string[]): Promise<IssuedTokens>;
  /** A device cookie value for the browser that completed the login (auth/device-cookie.ts). */
  deviceTokenFor(userId: string): Promise<string | undefined>;
  audit: AuditLog;
  clock: Clock;
}

/**
 * The two-step login of a user with MFA: a correct password gets a single-use mfaToken (32
 * random bytes, stored as SHA-256, five minutes), and that token with a valid code gets the
 * session, whose tokens carry `amr: ["pwd", "otp"]`.
 */
export function createMfaLogin(deps: MfaLoginDeps) {
  const { repository, users, factor, audit, clock } = deps;
  return {
    /** The first step passed (the password was right): a challenge for the second. */
    async challenge(user: User, client: ClientInfo): Promise<{ mfaToken: string; methods: FactorMethod[] }> {
      const mfaToken = randomBytes(32).toString('base64url');
      const now = clock.now();
      await repository.createChallenge({
        tokenHash: sha256(mfaToken),
        userId: user.id,
        amr: PASSWORD_AMR,
        now,
        expiresAt: now + MFA_CHALLENGE_TTL_MS,
      });
      await audit.record({ type: 'mfa.challenged', userId: user.id, ...client });
      return { mfaToken, methods: [...MFA_METHODS] };
    },

    /**
     * The second step: a live challenge (else invalid_token, not counted), a valid code (else
     * invalid_mfa_code, counted by the account throttle; the challenge stays usable for a retry),
     * then the challenge is spent (once, atomically) and the session starts.
     */
    async verify(mfaToken: string, code: string, client: ClientInfo): Promise<{ issued: IssuedTokens; deviceToken?: string }> {
      const tokenHash = sha256(mfaToken);
      const challenge = await repository.findChallenge(tokenHash);
      if (!challenge || challenge.usedAt !== null || challenge.expiresAt <= clock.now()) throw badChallenge();
      const method = await factor.verify(challenge.userId, code, 'login', client);
      if (!(await repository.consumeChallenge(tokenHash, clock.now()))) throw badChallenge();
      const user = await users.findById(challenge.userId);
      if (!user) throw badChallenge();
      const issued = await deps.startSession(user, client, [...challenge.amr, OTP_AMR]);
      const details: Record<string, string | number> = { method, sessionId: issued.sessionId };
      if (method === 'recovery_code') details.recoveryCodesLeft = await repository.unusedRecoveryCodes(user.id);
      await audit.record({ type: 'mfa.verified', userId: user.id, ...client, details });
      const deviceToken = await deps.deviceTokenFor(user.id);
      return { issued, ...(deviceToken ? { deviceToken } : {}) };
    },
  };
}

export type MfaLogin = ReturnType<typeof createMfaLogin>;
