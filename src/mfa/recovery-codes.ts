import { randomBytes } from 'node:crypto';
import { hmac } from '../lib/hash.ts';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = 10;

/** 10 symbols of 5 bits: 50 bits each, shown as `XXXXX-XXXXX`. */
export function newRecoveryCode(): string {
  const symbols = [...randomBytes(LENGTH)].map((byte) => ALPHABET[byte & 31]).join('');
  return `${symbols.slice(0, 5)}-${symbols.slice(5)}`;
}

export const newRecoveryCodes = (): string[] => Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);

/**
 * A typed code in its canonical form, or undefined if it cannot be one: case, spaces and dashes
 * do not matter, and I/L read as 1, O as 0 (Crockford).
 */
export function canonicalRecoveryCode(input: string): string | undefined {
  const compact = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  return compact.length === LENGTH && [...compact].every((c) => ALPHABET.includes(c)) ? compact : undefined;
}

/**
 * What is stored: an HMAC-SHA256 under a server key, not a plain hash. 50 bits is too little to
 * resist guessing offline, so a copy of the database alone must not be enough to try.
 */
export const recoveryCodeHash = (key: Buffer, canonical: string): string => hmac(key, canonical);
