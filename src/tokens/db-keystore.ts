import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { Algorithm } from '../config/schema.ts';
import { ConfigError } from '../config/errors.ts';
import type { Db } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import type { KeyEntry, Keystore } from './keystore.ts';
import {
  decryptPrivateKey,
  encryptPrivateKey,
  generatePrivateKey,
  publicJwk,
  publicKeyFromJwk,
  thumbprint,
} from './key-material.ts';
import { createSigningKeyRepository, type SigningKeyRow } from './signing-key.repository.ts';

type AsymmetricAlgorithm = Exclude<Algorithm, `HS${string}`>;

export interface DbKeystoreOptions {
  db: Db;
  clock: Clock;
  algorithm: AsymmetricAlgorithm;
  encryptionSecret: Buffer;
  /** How long a retired key keeps verifying: the access-token lifetime plus leeway, in ms. */
  retireAfterMs: number;
  /** Minimum time between reloads triggered by an unknown `kid`. */
  reloadCooldownMs?: number;
}

/**
 * Asymmetric keys shared by every instance through the `signing_keys` table, private
 * parts encrypted at rest. The newest active key of the configured algorithm signs;
 * retired keys keep verifying (and stay in the JWKS) until their last token expires.
 */
export async function createDbKeystore(options: DbKeystoreOptions): Promise<Keystore> {
  const { db, clock, algorithm, encryptionSecret, retireAfterMs } = options;
  const cooldownMs = options.reloadCooldownMs ?? 1000;
  const repo = createSigningKeyRepository(db);
  let entries: KeyEntry[] = [];
  let activeEntry: KeyEntry | undefined;
  let lastReload = 0;

  const privatePem = (row: SigningKeyRow): string => {
    try {
      return decryptPrivateKey(row.privateKey, encryptionSecret, row.kid).export({ format: 'pem', type: 'pkcs8' }).toString();
    } catch (error) {
      throw new ConfigError(
        `cannot decrypt signing key ${row.kid}: KEY_ENCRYPTION_SECRET is not the one it was stored with`,
        { cause: error },
      );
    }
  };

  const toEntry = (row: SigningKeyRow, withPrivate: boolean): KeyEntry => {
    const jwk = JSON.parse(row.publicJwk) as JsonWebKey;
    const publicKey = publicKeyFromJwk(jwk);
    return {
      kid: row.kid,
      alg: row.alg as Algorithm,
      verifyKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      signingKey: withPrivate ? privatePem(row) : undefined,
      jwk,
      createdAt: row.createdAt,
      retiredAt: row.retiredAt,
    };
  };

  const createKey = async (): Promise<void> => {
    const now = clock.now();
    const privateKey = generatePrivateKey(algorithm);
    const kid = thumbprint(createPublicKey(privateKey).export({ format: 'jwk' }));
    await repo.addAndRetireOthers(
      {
        kid,
        alg: algorithm,
        publicJwk: JSON.stringify(publicJwk(privateKey, kid, algorithm)),
        privateKey: encryptPrivateKey(privateKey, encryptionSecret, kid),
        createdAt: now,
        retiredAt: null,
      },
      now,
    );
  };

  const load = async (): Promise<void> => {
    lastReload = clock.now();
    let rows = await repo.listUsable(lastReload - retireAfterMs);
    if (!rows.some((row) => row.retiredAt === null && row.alg === algorithm)) {
      await createKey();
      rows = await repo.listUsable(clock.now() - retireAfterMs);
    }
    const signing = rows.find((row) => row.retiredAt === null && row.alg === algorithm);
    const next = rows.map((row) => {
      // Only the signing key is decrypted; reuse the decrypted one if it has not changed.
      if (row !== signing) return toEntry(row, false);
      return activeEntry?.kid === row.kid ? { ...activeEntry, retiredAt: row.retiredAt } : toEntry(row, true);
    });
    entries = next;
    activeEntry = next.find((entry) => entry.kid === signing?.kid);
  };

  await load();

  const keystore: Keystore = {
    mode: 'asymmetric',
    active: () => {
      if (!activeEntry) throw new Error('no active signing key');
      return activeEntry;
    },
    find: (kid) => {
      const entry = entries.find((e) => e.kid === kid);
      if (!entry || entry.retiredAt === null) return entry;
      return entry.retiredAt + retireAfterMs > clock.now() ? entry : undefined;
    },
    list: () => entries.filter((e) => e.retiredAt === null || e.retiredAt + retireAfterMs > clock.now()),
    jwks() {
      return keystore.list().flatMap((entry) => (entry.jwk ? [entry.jwk] : []));
    },
    async reload({ onlyIfCool = false } = {}) {
      if (onlyIfCool && clock.now() - lastReload < cooldownMs) return false;
      await load();
      return true;
    },
    async rotate() {
      await createKey();
      await load();
      return keystore.active();
    },
    close: () => {},
  };
  return keystore;
}
