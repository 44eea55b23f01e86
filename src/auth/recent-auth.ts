import type { ClientInfo } from '../lib/client-info.ts';
import type { Clock } from '../lib/clock.ts';
import { bearerFailure, reauthRequired } from '../lib/errors.ts';
import { hasPassword } from '../users/password.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { User } from '../users/user.ts';
import type { CredentialsService } from './credentials.service.ts';

/** A caller who has just proved it is them: the user, and the password hash it was checked against. */
export interface Proven {
  user: User;
  passwordHash: string;
}

/** The signed-in caller of a sensitive change: the access token's `sub` and `auth_time` (seconds). */
export interface StepUpCaller {
  userId: string;
  authTime?: number | undefined;
}

/**
 * Recent authentication ("step-up"), the one check every sensitive change calls: MFA enrolment,
 * new recovery codes, an email change (and, later, passkeys and linked providers). A stolen
 * access token alone is not enough for any of them.
 * - An account with a password proves it again: `currentPassword`, checked under the same
 *   throttle as a password change (`401 invalid_credentials` when wrong). Without it,
 *   `401 reauth_required`, however recent the sign-in: a token can be stolen a second after login.
 * - An account without one needs a sign-in within REAUTH_WINDOW (the token's `auth_time`, which a
 *   refresh never moves forward); else `401 reauth_required`: sign in again.
 */
export function createRecentAuth(deps: {
  users: UserRepository;
  credentials: Pick<CredentialsService, 'confirmPassword'>;
  clock: Clock;
  windowMs: number;
}) {
  const { users, credentials, clock, windowMs } = deps;
  return {
    /**
     * The user, and the password hash the proof was checked against: a change that must not
     * outlive a later password change (an email-change link) is stamped with this one.
     */
    async confirm(caller: StepUpCaller, currentPassword: string | undefined, client: ClientInfo): Promise<Proven> {
      const found = await users.findCredentialsById(caller.userId);
      if (!found) throw bearerFailure('invalid_token', 'The user of this token no longer exists.');
      if (hasPassword(found.passwordHash)) {
        if (currentPassword === undefined) throw reauthRequired();
        await credentials.confirmPassword(found, currentPassword, client);
        return found;
      }
      const recent = caller.authTime !== undefined && clock.now() - caller.authTime * 1000 <= windowMs;
      if (!recent) throw reauthRequired('Sign in again: this change needs a sign-in from the last few minutes.');
      return found;
    },
  };
}

export type RecentAuth = ReturnType<typeof createRecentAuth>;
