import { HOTP, Secret, TOTP } from 'otpauth';
import { safeEqual } from '../lib/hash.ts';

/** RFC 6238 as every authenticator app reads it: HMAC-SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
const ALGORITHM = 'SHA1';
/** Steps either side of now that still count: a phone clock a little off, a code typed as it changed. */
const WINDOW = 1;
/** 160 bits, the HMAC-SHA-1 block the RFC recommends. */
const SECRET_BYTES = 20;

export const TOTP_CODE = /^\d{6}$/;

/** A new random secret, base32 (what authenticator apps take). */
export const newTotpSecret = (): string => new Secret({ size: SECRET_BYTES }).base32;

/** The time step of an instant (RFC 6238 T = floor(unix time / 30)). */
export const stepAt = (nowMs: number): number => Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);

/** The `otpauth://totp/...` URL an authenticator app reads (usually from a QR code). */
export function otpauthUrl(secret: string, issuer: string, account: string): string {
  return new TOTP({ issuer, label: account, secret: Secret.fromBase32(secret), algorithm: ALGORITHM, digits: TOTP_DIGITS }).toString();
}

/**
 * The time steps within ±1 of now whose code is `code`, oldest first. Every step of the window is
 * computed and compared in constant time (no early exit), and the caller decides which step may
 * still be used: a code is accepted only for a step after the last one used (no replay).
 */
export function matchingSteps(secret: string, code: string, nowMs: number): number[] {
  if (!TOTP_CODE.test(code)) return [];
  const key = Secret.fromBase32(secret);
  const now = stepAt(nowMs);
  const matches: number[] = [];
  for (let step = now - WINDOW; step <= now + WINDOW; step += 1) {
    const expected = HOTP.generate({ secret: key, algorithm: ALGORITHM, digits: TOTP_DIGITS, counter: step });
    if (safeEqual(code, expected)) matches.push(step);
  }
  return matches;
}
