import { deriveKey, open, seal } from '../lib/sealed-box.ts';
import { recoveryCodeHash } from './recovery-codes.ts';

/**
 * The keys of MFA data at rest, each derived (HKDF-SHA256, its own `info`) from one server
 * secret: KEY_ENCRYPTION_SECRET, or JWT_REFRESH_SECRET in HMAC mode, which has no
 * KEY_ENCRYPTION_SECRET. Changing that secret makes every stored TOTP secret and recovery code
 * unreadable: users then need an admin reset (docs/security.md).
 */
export function createMfaKeys(secret: Buffer) {
  const sealing = deriveKey(secret, 'tessera/mfa/totp-secret/aes-256-gcm/v1');
  const recovery = deriveKey(secret, 'tessera/mfa/recovery-code/hmac-sha256/v1');
  return {
    /** The base32 TOTP secret, sealed for this user only (their id is the associated data). */
    sealSecret: (userId: string, secretBase32: string): string => seal(Buffer.from(secretBase32, 'utf8'), sealing, `totp:${userId}`),
    openSecret: (userId: string, sealed: string): string => open(sealed, sealing, `totp:${userId}`).toString('utf8'),
    /** What is stored for a recovery code (canonical form). */
    recoveryHash: (canonical: string): string => recoveryCodeHash(recovery, canonical),
  };
}

export type MfaKeys = ReturnType<typeof createMfaKeys>;
