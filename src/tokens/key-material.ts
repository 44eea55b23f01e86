import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { Algorithm } from '../lib/algorithms.ts';

/** Generates a private key for an asymmetric algorithm (RSA at 2048 bits, the RFC 7518 minimum). */
export function generatePrivateKey(alg: Exclude<Algorithm, `HS${string}`>): KeyObject {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey;
    case 'RS256':
    case 'PS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }
}

/** The public members only (Node's export of a public KeyObject never includes private ones). */
export function publicJwk(privateKey: KeyObject, kid: string, alg: string): JsonWebKey {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { ...jwk, kid, alg, use: 'sig' };
}

export const publicKeyFromJwk = (jwk: JsonWebKey): KeyObject => createPublicKey({ key: jwk, format: 'jwk' });

/** RFC 7638 thumbprint of the public key, used as the `kid`. */
export function thumbprint(jwk: JsonWebKey): string {
  const members: Record<string, string[]> = { EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'], RSA: ['e', 'kty', 'n'] };
  const names = members[jwk.kty ?? ''] ?? [];
  const canonical = JSON.stringify(Object.fromEntries(names.map((name) => [name, jwk[name]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

const encryptionKey = (secret: Buffer): Buffer => createHash('sha256').update(secret).digest();

/** AES-256-GCM under KEY_ENCRYPTION_SECRET: `iv.tag.ciphertext`, each base64url. */
export function encryptPrivateKey(privateKey: KeyObject, secret: Buffer, kid: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey(secret), iv);
  cipher.setAAD(Buffer.from(kid));
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const ciphertext = Buffer.concat([cipher.update(der), cipher.final()]);
  return [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')).join('.');
}

export function decryptPrivateKey(sealed: string, secret: Buffer, kid: string): KeyObject {
  const [iv, tag, ciphertext] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !ciphertext) throw new Error(`signing key ${kid} is not in the expected format`);
  const decipher = createDecipheriv('aes-256-gcm', encryptionKey(secret), iv);
  decipher.setAAD(Buffer.from(kid));
  decipher.setAuthTag(tag);
  const der = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}
