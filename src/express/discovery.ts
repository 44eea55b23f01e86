import type { Algorithm } from '../lib/algorithms.ts';
import type { VerificationKeys } from '../tokens/keystore.ts';
import { discoveryIssuer, fetchIssuerMetadata, type IssuerMetadata, type IssuerProfile } from './discovery-document.ts';
import { createRemoteKeystore } from './remote-keystore.ts';
import { consoleFeedLogger, type FeedLogger } from './revocation-options.ts';

export type { IssuerProfile } from './discovery-document.ts';

/** Read again in the background once this old, as the JWKS (remote-keystore.ts's cacheMaxAgeMs). */
const DOCUMENT_MAX_AGE_MS = 300_000;
/** After a failed read, the next one starts no sooner than this: the JWKS's gap between fetches. */
const RETRY_GAP_MS = 1000;

export interface DiscoveryOptions {
  /** requireAuth's `issuer`: one http(s) URL (checked here, when requireAuth is built). */
  issuer: string | string[];
  /** What the JWKS found may hold (see RemoteKeystoreOptions). */
  algorithms: Algorithm[];
  /** The JWKS's unknown-kid cooldown (RemoteKeystoreOptions.cooldownMs). */
  cooldownMs?: number;
  /** How long a document is used before it is read again in the background (default 5 min, as the JWKS). */
  cacheMaxAgeMs?: number;
  /** Where a failed read (once per outage) and the recovery are logged; default one console line each. */
  logger?: Pick<FeedLogger, 'info' | 'warn'>;
}

/** The keys of an issuer found through its discovery document, and what the document says of it. */
export interface DiscoveredKeys extends VerificationKeys {
  /**
   * For requireAuth's choice of checks: 'tessera' when the issuer's metadata says it is a Tessera
   * server (`"tessera_access_token_profile": "tessera"`), 'rfc9068' for any other issuer,
   * undefined until a document has been read. A token's keys are found only after that, so a
   * token that verifies was verified under a known profile.
   */
  discoveredProfile(): IssuerProfile | undefined;
}

interface Discovered {
  metadata: IssuerMetadata;
  keys: VerificationKeys;
  readAt: number;
}

/**
 * requireAuth without `jwksUrl`: the JWKS is the one the issuer's discovery document names
 * (/.well-known/openid-configuration, else /.well-known/oauth-authorization-server), read when
 * requireAuth is built. The document follows the JWKS's rules: used for 5 minutes, then read
 * again in the background while the one held keeps answering (a failed re-read keeps it); reads
 * are shared, and after a failure the next starts a second later at the soonest. Until a document
 * has been read, a token's keys cannot be looked for: reload() rejects, which requireAuth
 * answers with 503 `unavailable` (an outage, not a bad token).
 */
export function createDiscoveredKeystore(options: DiscoveryOptions): DiscoveredKeys {
  const issuer = discoveryIssuer(options.issuer);
  const logger = options.logger ?? consoleFeedLogger;
  const maxAgeMs = options.cacheMaxAgeMs ?? DOCUMENT_MAX_AGE_MS;
  let current: Discovered | undefined;
  let reading: Promise<Discovered> | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;
  /** Why the last read failed; undefined once one succeeds. */
  let failure: Error | undefined;

  const keysFor = (metadata: IssuerMetadata): VerificationKeys =>
    // The same keys (and their cooldowns) as long as the document names the same JWKS.
    current && current.metadata.jwksUri.href === metadata.jwksUri.href
      ? current.keys
      : createRemoteKeystore({
          jwksUrl: metadata.jwksUri,
          algorithms: options.algorithms,
          ...(options.cooldownMs !== undefined ? { cooldownMs: options.cooldownMs } : {}),
          logger,
        });

  const read = (): Promise<Discovered> =>
    (reading ??= fetchIssuerMetadata(issuer)
      .then(
        (metadata) => {
          if (failure !== undefined || !current) {
            logger.info({ issuer, jwksUri: metadata.jwksUri.href, profile: metadata.profile }, 'issuer metadata read');
          }
          failure = undefined;
          current = { metadata, keys: keysFor(metadata), readAt: performance.now() };
          return current;
        },
        (error: unknown) => {
          const reason = error instanceof Error ? error : new Error(String(error));
          if (failure === undefined) logger.warn({ issuer, error: reason.message }, 'issuer metadata cannot be read');
          failure = reason;
          failedAt = performance.now();
          throw error;
        },
      )
      .finally(() => {
        reading = undefined;
      }));

  /** The document held, else one read now: shared, and no sooner than a gap after the last failure. */
  const discovered = (): Promise<Discovered> => {
    if (current) return Promise.resolve(current);
    if (failure && !reading && performance.now() - failedAt < RETRY_GAP_MS) return Promise.reject(failure);
    return read();
  };

  // Read at once: the first token need not wait, and a wrong issuer is logged at start-up.
  void read().catch(() => {});

  return {
    find(kid) {
      if (!current) return undefined;
      if (!reading && performance.now() - current.readAt >= maxAgeMs && performance.now() - failedAt >= RETRY_GAP_MS) {
        void read().catch(() => {}); // the document held keeps answering meanwhile
      }
      return current.keys.find(kid);
    },
    async reload(reloadOptions) {
      // A re-read under way may name another JWKS (a moved jwks_uri): its keys are the ones to look in.
      // Should it fail, the document held still answers.
      const held = current;
      const { keys } = reading && held ? await reading.catch(() => held) : await discovered();
      return keys.reload(reloadOptions);
    },
    discoveredProfile: () => current?.metadata.profile,
  };
}
