import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { normalizePassword } from './password-rules.ts';
import { createLimiter } from '../lib/limiter.ts';

/** OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane. */
// algorithm 2 is Algorithm.Argon2id (a const enum, which verbatimModuleSyntax cannot import).
const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const BCRYPT_PREFIX = /^\$2[aby]\$/;

/** Hashes on the libuv thread pool, never on the event loop. The password is NFKC-normalised first. */
export const hashPassword = (password: string): Promise<string> => argonHash(normalizePassword(password), ARGON2_OPTIONS);

/**
 * hash/verify with at most `concurrency` argon2 runs at once (HASH_CONCURRENCY). Each run
 * keeps a core busy for ~10 ms; capping them leaves a core to the event loop, so a login
 * storm does not slow every other request down.
 */
export function createPasswordHasher(concurrency: number) {
  const limiter = createLimiter(concurrency);
  return {
    hash: (password: string) => limiter.run(() => hashPassword(password)),
    verify: (storedHash: string, password: string) => limiter.run(() => verifyPassword(storedHash, password)),
    queued: limiter.queued,
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;

export interface PasswordCheck {
  ok: boolean;
  /** The stored hash is of an older kind (bcrypt) or weaker parameters: re-hash on success. */
  needsRehash: boolean;
}

/**
 * The stored hash of an account that has no password (one created through another way to sign
 * in): no password verifies against it, and recent authentication falls back to `auth_time`.
 */
export const NO_PASSWORD = '';

export const hasPassword = (storedHash: string): boolean => storedHash !== NO_PASSWORD;

/** Verifies argon2 hashes and, for users imported from older apps, bcrypt ones. */
export async function verifyPassword(storedHash: string, password: string): Promise<PasswordCheck> {
  if (BCRYPT_PREFIX.test(storedHash)) {
    // Imported from an app that hashed the password as typed, without normalising it.
    // bcrypt reads only the first 72 bytes; refuse longer passwords rather than accept a truncated match.
    if (Buffer.byteLength(password) > 72) return { ok: false, needsRehash: false };
    return { ok: await bcrypt.compare(password, storedHash), needsRehash: true };
  }
  try {
    const ok = await argonVerify(storedHash, normalizePassword(password));
    return { ok, needsRehash: ok && !storedHash.startsWith('$argon2id$') };
  } catch {
    return { ok: false, needsRehash: false };
  }
}
