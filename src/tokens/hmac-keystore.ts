import { hmac } from '../lib/hash.ts';
import type { Algorithm } from '../lib/algorithms.ts';
import type { KeyEntry, Keystore } from './keystore.ts';

/**
 * HMAC mode: one shared secret from JWT_SECRET, nothing to publish. The `kid` is derived
 * from the secret (one-way) so a changed secret is recognised as a different key.
 */
export function createHmacKeystore(secret: Buffer, alg: Algorithm): Keystore {
  const entry: KeyEntry = {
    kid: hmac(secret, 'tessera-kid').slice(0, 16),
    alg,
    verifyKey: secret,
    signingKey: secret,
    jwk: undefined,
    createdAt: 0,
    activatesAt: 0,
    retiredAt: null,
  };
  return {
    active: () => entry,
    find: (kid) => (kid === entry.kid ? entry : undefined),
    list: () => [entry],
    jwks: () => [],
    reload: async () => false,
    rotate: async () => {
      throw new Error('In HMAC mode the key is JWT_SECRET: rotate it by changing that setting.');
    },
    revoke: async () => {
      throw new Error('In HMAC mode the key is JWT_SECRET: revoke it by changing that setting on every instance.');
    },
    // Nothing is stored, so no other instance can revoke a key of ours.
    forget: async () => {},
  };
}
