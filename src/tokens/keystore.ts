import type { JsonWebKey } from 'node:crypto';
import type { Algorithm } from '../config/schema.ts';

/** One access-token key. `signingKey` is set only for a key this process may sign with. */
export interface KeyEntry {
  kid: string;
  alg: Algorithm;
  /** What fast-jwt verifies with: a PEM public key, or the HMAC secret. */
  verifyKey: string | Buffer;
  /** What fast-jwt signs with: a PEM private key, or the HMAC secret. */
  signingKey: string | Buffer | undefined;
  /** The public JWK (asymmetric keys only). */
  jwk: JsonWebKey | undefined;
  createdAt: number;
  retiredAt: number | null;
}

export interface Keystore {
  readonly mode: 'hmac' | 'asymmetric';
  /** The key new access tokens are signed with. */
  active(): KeyEntry;
  /** A key that may still verify tokens, by `kid`. */
  find(kid: string): KeyEntry | undefined;
  /** Every key whose tokens may still be live. */
  list(): KeyEntry[];
  /** Public JWKs of list(); empty in HMAC mode. */
  jwks(): JsonWebKey[];
  /** Re-reads shared keys; for an unknown `kid`, at most once per cooldown. Returns whether it read. */
  reload(options?: { onlyIfCool?: boolean }): Promise<boolean>;
  /** Starts signing with a new key; the old one keeps verifying until its tokens expire. */
  rotate(): Promise<KeyEntry>;
  close(): void;
}
