import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import { hmac, safeEqual, sha256 } from '../lib/hash.ts';

/** How long a browser stays recognised after its last successful login. */
export const DEVICE_LIFETIME_SECONDS = 365 * 86_400;

/**
 * OWASP "device cookies": a browser that has logged in to an account gets a signed token
 * naming that account. Its later login attempts are throttled per device, not per account,
 * so failures from elsewhere (an attacker keeping the account locked) never lock it out.
 * Stateless: `nonce.issuedAt.mac`, where the MAC binds the nonce and time to the email and to
 * the account's current password hash: changing or resetting the password retires every device
 * token, so one who knew the old password cannot keep extra guessing budgets.
 */
export function createDeviceCookies(secret: Buffer, clock: Clock) {
  const key = Buffer.from(hmac(secret, 'tessera-device'));
  const mac = (email: string, stamp: string, nonce: string, issuedAt: string) =>
    hmac(key, `${email}\n${sha256(stamp)}\n${nonce}\n${issuedAt}`);

  return {
    /** A new device token for a successful login to `email` (already normalised). */
    /** `stamp` is the account's password hash: the token lives only as long as that password. */
    issue(email: string, stamp: string): string {
      const nonce = randomBytes(16).toString('base64url');
      const issuedAt = String(Math.floor(clock.now() / 1000));
      return `${nonce}.${issuedAt}.${mac(email, stamp, nonce, issuedAt)}`;
    },

    /** The device's id if `token` is a live device token for `email`; undefined for anything else. */
    deviceFor(token: string | undefined, email: string, stamp: string | undefined): string | undefined {
      if (stamp === undefined) return undefined;
      if (!token || token.length > 200) return undefined;
      const [nonce, issuedAt, tag, extra] = token.split('.');
      if (!nonce || !issuedAt || !tag || extra !== undefined || !/^\d{1,12}$/.test(issuedAt)) return undefined;
      if (!safeEqual(tag, mac(email, stamp, nonce, issuedAt))) return undefined;
      const age = clock.now() / 1000 - Number(issuedAt);
      return age >= 0 && age < DEVICE_LIFETIME_SECONDS ? nonce : undefined;
    },
  };
}

export type DeviceCookies = ReturnType<typeof createDeviceCookies>;
