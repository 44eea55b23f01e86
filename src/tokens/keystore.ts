import type { JsonWebKey } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { DatabaseSchema } from '../database.ts';
import type { Algorithm } from '../lib/algorithms.ts';

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
  /** When it starts signing. A rotated key is published (listed, verifying) before that. */
  activatesAt: number;
  retiredAt: number | null;
}

/** The keys tokens are verified with: what a resource server needs (a remote JWKS, a shared secret). */
export interface VerificationKeys {
  /** A key that may still verify tokens, by `kid`. */
  find(kid: string): KeyEntry | undefined;
  /**
   * Re-reads the keys; returns whether it read.
   * - `onlyIfCool` (a token under an unknown `kid`, named by `kid`): rate-limited, counted between
   *   such reloads only, so a routine poll never makes a new key's token wait. The remote keystore
   *   looks for each kid once per cooldown, so one unknown kid never holds up another.
   * - `ifOlderThanMs` (the JWKS route's read-through): only if the last read started longer ago
   *   than that; requests meanwhile share one read.
   */
  reload(options?: { onlyIfCool?: boolean; kid?: string; ifOlderThanMs?: number }): Promise<boolean>;
}

/** The keys the auth server signs with and publishes. */
export interface SigningKeys {
  /** The key new access tokens are signed with now. */
  active(): KeyEntry;
  /** Every key whose tokens may still be live. */
  list(): KeyEntry[];
  /** Public JWKs of list(); empty in HMAC mode. */
  jwks(): JsonWebKey[];
  /**
   * Publishes a new key that starts signing at its `activatesAt` (once every instance and every
   * resource service can have seen it: key-publication.ts); the old one keeps verifying until its
   * tokens expire.
   */
  rotate(): Promise<KeyEntry>;
  /**
   * Removes a key at once (it was compromised): deleted from the store, gone from this instance,
   * and, if it signed or was about to, replaced by a fresh key that signs at once. `also` runs in
   * the same transaction (the revocation row that tells the other instances). Undefined for a kid
   * that is not stored.
   */
  revoke(kid: string, also: (trx: Transaction<DatabaseSchema>) => Promise<void>): Promise<RevokedKey | undefined>;
  /** Keys revoked on another instance: they stop verifying and signing here at once; then the store is re-read. */
  forget(kids: readonly string[]): Promise<void>;
}

export interface RevokedKey {
  kid: string;
  alg: string;
  /** The key that signs from now on, when the revoked one signed or was about to. */
  replacement: KeyEntry | undefined;
}

/** The auth server's keystore: it both signs and verifies. */
export type Keystore = VerificationKeys & SigningKeys;
