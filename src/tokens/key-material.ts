import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Algorithm } from '../lib/algorithms.ts';
import { open, seal } from '../lib/sealed-box.ts';

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

/** AES-256-GCM under KEY_ENCRYPTION_SECRET (lib/sealed-box.ts): `iv.tag.ciphertext`, each base64url, the kid as associated data. */
export function encryptPrivateKey(privateKey: KeyObject, secret: Buffer, kid: string): string {
  return seal(privateKey.export({ format: 'der', type: 'pkcs8' }), encryptionKey(secret), kid);
}

export function decryptPrivateKey(sealed: string, secret: Buffer, kid: string): KeyObject {
  let der: Buffer;
  try {
    der = open(sealed, encryptionKey(secret), kid);
  } catch (error) {
    throw new Error(`signing key ${kid} cannot be decrypted (is KEY_ENCRYPTION_SECRET the one it was stored with?)`, { cause: error });
  }
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}
