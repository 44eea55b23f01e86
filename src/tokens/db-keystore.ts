import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { Algorithm } from '../lib/algorithms.ts';
import { ConfigError } from '../config/errors.ts';
import type { Db } from '../database.ts';
import type { Clock } from '../lib/clock.ts';
import type { KeyEntry, Keystore } from './keystore.ts';
import { decryptPrivateKey, encryptPrivateKey, generatePrivateKey, publicJwk, publicKeyFromJwk, thumbprint } from './key-material.ts';
import { createSigningKeyRepository, type SigningKeyRow } from './signing-key.repository.ts';

type AsymmetricAlgorithm = Exclude<Algorithm, `HS${string}`>;

/**
 * A key made to replace a revoked one signs from this long before it was made: an instance whose
 * clock runs behind the revoking machine's would otherwise have nothing to sign with meanwhile.
 */
const REPLACEMENT_BACKDATE_MS = 60_000;

export interface DbKeystoreOptions {
  db: Db;
  clock: Clock;
  algorithm: AsymmetricAlgorithm;
  encryptionSecret: Buffer;
  /** How long a retired key keeps verifying: the access-token lifetime plus leeway, in ms. */
  retireAfterMs: number;
  /** How long a rotated key is published before it signs (publishDelayMs in key-publication.ts). */
  publishDelayMs: number;
  /** Minimum time between reloads triggered by an unknown `kid`. */
  reloadCooldownMs?: number;
}

/**
 * Asymmetric keys shared by every instance through the `signing_keys` table, private
 * parts encrypted at rest. A rotated key is published first and signs from its
 * `activatesAt`; retired keys keep verifying (and stay in the JWKS) until their last token expires.
 */
export async function createDbKeystore(options: DbKeystoreOptions): Promise<Keystore> {
  const { db, clock, algorithm, encryptionSecret, retireAfterMs, publishDelayMs } = options;
  const cooldownMs = options.reloadCooldownMs ?? 1000;
  const repo = createSigningKeyRepository(db);
  let entries: KeyEntry[] = [];
  /** Decrypted private keys by kid: a key is decrypted once, not at every poll. */
  const privateKeys = new Map<string, string>();
  let lastUnknownKidReload = Number.NEGATIVE_INFINITY;
  /**
   * Kids revoked while this process runs. A read of the store that started before a revocation
   * committed must not bring its key back when it lands.
   */
  const revoked = new Set<string>();
  /** The last read of the store; it never rejects (its caller gets the error). */
  let reading: Promise<void> = Promise.resolve();
  /** When the last successful read started: what it brought is at least that fresh. */
  let lastReadAt = Number.NEGATIVE_INFINITY;
  /** A read-through (reload with ifOlderThanMs) under way, which the next such requests share. */
  let readingThrough: Promise<void> | undefined;
  /**
   * When the last read-through started, successful or not: with the database failing, public
   * JWKS requests must not turn into one connection attempt each.
   */
  let lastReadThroughAt = Number.NEGATIVE_INFINITY;

  const privatePem = (row: SigningKeyRow): string => {
    const cached = privateKeys.get(row.kid);
    if (cached) return cached;
    try {
      const pem = decryptPrivateKey(row.privateKey, encryptionSecret, row.kid).export({ format: 'pem', type: 'pkcs8' }).toString();
      privateKeys.set(row.kid, pem);
      return pem;
    } catch (error) {
      throw new ConfigError(`cannot decrypt signing key ${row.kid}: KEY_ENCRYPTION_SECRET is not the one it was stored with`, {
        cause: error,
      });
    }
  };

  /** Keys of our algorithm that sign now or will (pending); only these are decrypted. */
  const maySign = (row: SigningKeyRow, now: number) => row.alg === algorithm && (row.retiredAt === null || row.retiredAt > now);

  const toEntry = (row: SigningKeyRow, now: number): KeyEntry => {
    const jwk = JSON.parse(row.publicJwk) as JsonWebKey;
    return {
      kid: row.kid,
      alg: row.alg as Algorithm,
      verifyKey: publicKeyFromJwk(jwk).export({ format: 'pem', type: 'spki' }).toString(),
      signingKey: maySign(row, now) ? privatePem(row) : undefined,
      jwk,
      createdAt: row.createdAt,
      activatesAt: row.activatesAt,
      retiredAt: row.retiredAt,
    };
  };

  const newKeyRow = (activatesAt: number): SigningKeyRow => {
    const privateKey = generatePrivateKey(algorithm);
    const kid = thumbprint(createPublicKey(privateKey).export({ format: 'jwk' }));
    return {
      kid,
      alg: algorithm,
      publicJwk: JSON.stringify(publicJwk(privateKey, kid, algorithm)),
      privateKey: encryptPrivateKey(privateKey, encryptionSecret, kid),
      createdAt: clock.now(),
      activatesAt,
      retiredAt: null,
    };
  };

  const createKey = async (activatesAt: number): Promise<string> => {
    const row = newKeyRow(activatesAt);
    await repo.addAndRetireOthers(row);
    return row.kid;
  };

  /** Revoked keys leave this instance at once: they no longer verify, sign or get published. */
  const drop = (kids: readonly string[]) => {
    for (const kid of kids) {
      revoked.add(kid);
      privateKeys.delete(kid);
    }
    entries = entries.filter((entry) => !revoked.has(entry.kid));
  };

  const usableRows = async (now: number) => (await repo.listUsable(now - retireAfterMs)).filter((row) => !revoked.has(row.kid));

  const read = async (): Promise<void> => {
    const now = clock.now();
    let rows = await usableRows(now);
    if (!rows.some((row) => row.retiredAt === null && row.alg === algorithm)) {
      // No key of this algorithm at all (a new database, or JWT_ALGORITHM changed): nothing
      // can have been published ahead, so the first key signs at once.
      await createKey(now);
      rows = await usableRows(now);
    }
    entries = rows.map((row) => toEntry(row, now));
    for (const kid of privateKeys.keys()) if (!entries.some((e) => e.kid === kid && e.signingKey)) privateKeys.delete(kid);
    lastReadAt = now;
  };

  /**
   * Reads run one after another. Otherwise a key poll that read before a revocation committed
   * could land after the read the revocation started, bringing back a set without the
   * replacement key: nothing would sign until the next poll.
   */
  const load = (): Promise<void> => {
    const next = reading.then(read);
    reading = next.catch(() => {});
    return next;
  };

  await load();

  const usable = (entry: KeyEntry, now: number) => entry.retiredAt === null || entry.retiredAt + retireAfterMs > now;

  const keystore: Keystore = {
    active: () => {
      const now = clock.now();
      let signing: KeyEntry | undefined;
      for (const entry of entries) {
        if (!entry.signingKey || entry.activatesAt > now || (entry.retiredAt !== null && entry.retiredAt <= now)) continue;
        if (!signing || entry.activatesAt > signing.activatesAt) signing = entry;
      }
      if (!signing) throw new Error('no active signing key');
      return signing;
    },
    find: (kid) => {
      if (revoked.has(kid)) return undefined;
      const entry = entries.find((e) => e.kid === kid);
      return entry && usable(entry, clock.now()) ? entry : undefined;
    },
    list: () => entries.filter((e) => usable(e, clock.now())),
    jwks() {
      return keystore.list().flatMap((entry) => (entry.jwk ? [entry.jwk] : []));
    },
    async reload({ onlyIfCool = false, ifOlderThanMs } = {}) {
      if (ifOlderThanMs !== undefined) {
        if (!readingThrough) {
          const age = clock.now() - Math.max(lastReadAt, lastReadThroughAt);
          // A clock set back reads as stale: better one read too many than a key missing from the JWKS.
          if (age >= 0 && age < ifOlderThanMs) return false;
          lastReadThroughAt = clock.now();
        }
        await (readingThrough ??= load().finally(() => {
          readingThrough = undefined;
        }));
        return true;
      }
      if (onlyIfCool) {
        if (clock.now() - lastUnknownKidReload < cooldownMs) return false;
        lastUnknownKidReload = clock.now();
      }
      await load();
      return true;
    },
    async rotate() {
      const kid = await createKey(clock.now() + publishDelayMs);
      await load();
      const entry = entries.find((e) => e.kid === kid);
      if (!entry) throw new Error(`the new key ${kid} was not stored`);
      return entry;
    },
    async revoke(kid, also) {
      const row = await repo.find(kid);
      if (!row) return undefined;
      // It signs now, or would once published: without a successor nothing would sign when it is gone.
      const signs = row.retiredAt === null || row.retiredAt > clock.now();
      const replacement = signs ? newKeyRow(clock.now() - REPLACEMENT_BACKDATE_MS) : undefined;
      if (!(await repo.remove(kid, replacement, also))) return undefined;
      drop([kid]);
      await load();
      return { kid, alg: row.alg, replacement: replacement && entries.find((e) => e.kid === replacement.kid) };
    },
    async forget(kids) {
      // Refused at once (find), but left to sign until the read below brings the replacement:
      // dropping first would leave nothing to sign with for those milliseconds (a 500 on every
      // login), while a token signed meanwhile is refused like any other of the key.
      for (const kid of kids) revoked.add(kid);
      try {
        await load();
      } finally {
        drop(kids);
      }
    },
  };
  return keystore;
}
