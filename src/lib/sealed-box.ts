import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM with a 32-byte key: `iv.tag.ciphertext`, each base64url. `aad` binds the sealed
 * value to what it belongs to (a key's kid, a user's id), so a value copied onto another row
 * does not open there.
 */
export function seal(plaintext: Buffer, key: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')).join('.');
}

/** Opens what seal() made; throws if it was altered, sealed under another key or for another `aad`. */
export function open(sealed: string, key: Buffer, aad: string): Buffer {
  const [iv, tag, ciphertext, extra] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !ciphertext || extra) throw new Error('the sealed value is not in the expected format');
  // A full 16-byte tag only: GCM would also accept a truncated one, which is easier to forge.
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

/** A 32-byte key for one purpose (HKDF-SHA256, RFC 5869): one secret yields independent keys for different `info`s. */
export const deriveKey = (secret: Buffer, info: string): Buffer => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
