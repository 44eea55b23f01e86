import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { createRemoteJWKSet, customFetch, type FetchImplementation } from 'jose';
import { isHmac, type Algorithm } from '../lib/algorithms.ts';
import type { KeyEntry, VerificationKeys } from '../tokens/keystore.ts';
import { UNKNOWN_KID_COOLDOWN_MS } from '../tokens/key-publication.ts';
import { algorithmOf } from './jwk-algorithm.ts';
import { consoleFeedLogger, type FeedLogger } from './revocation-options.ts';

export interface RemoteKeystoreOptions {
  jwksUrl: string | URL;
  /**
   * Algorithms accepted at all; a JWK whose `alg` is not listed is ignored, and one without `alg`
   * is used only when this pins exactly one algorithm for its kty/crv (see algorithmOf).
   */
  algorithms: Algorithm[];
  /**
   * How long a kid the JWKS did not have is refused before it is looked for again (default 30 s,
   * UNKNOWN_KID_COOLDOWN_MS). Per kid: one unknown kid never holds up another.
   */
  cooldownMs?: number;
  /** How long fetched keys are trusted before a background refetch (default 5 min). */
  cacheMaxAgeMs?: number;
  fetch?: FetchImplementation;
  /**
   * Where a failed fetch and the recovery are logged, once per change of state (not per request,
   * which would flood the log during an outage): the 503s it causes say only "unavailable".
   * Default: one console line each.
   */
  logger?: Pick<FeedLogger, 'info' | 'warn'>;
}

/**
 * Fetches for unknown kids start at most this often, however many different kids arrive: a flood
 * of made-up kids costs the auth server one JWKS request a second. A kid that arrives in between
 * waits for the next one (at most this long) rather than being refused.
 */
const UNKNOWN_KID_FETCH_GAP_MS = 1000;
/** Kids remembered as looked for and missing; beyond this the oldest are forgotten (the gap still bounds fetches). */
const MAX_MISSING_KIDS = 1000;

/** A fetch for unknown kids: scheduled (not started yet, so a kid may still join it) or under way. */
interface Lookup {
  kids: Set<string>;
  started: boolean;
  done: Promise<void>;
}

/**
 * The keys of a remote JWKS, for a resource server. jose's remote JWK set does the
 * fetching (timeouts, cache age); verification stays
 * synchronous on KeyObjects built from its cached set.
 *
 * Unknown kids: jose's own cooldown covers every kid after any fetch, so one token under a kid
 * the JWKS did not have yet (or a made-up one) made the next key refused for the whole cooldown.
 * Here the cooldown is per kid, and a global gap bounds the fetches.
 */
export function createRemoteKeystore(options: RemoteKeystoreOptions): VerificationKeys {
  const cooldownMs = options.cooldownMs ?? UNKNOWN_KID_COOLDOWN_MS;
  const allowed = new Set(options.algorithms.filter((alg) => !isHmac(alg)));
  // jose's cooldown is not used: its getKey is never called, only reload().
  const remote = createRemoteJWKSet(new URL(options.jwksUrl), {
    cacheMaxAge: options.cacheMaxAgeMs ?? 300_000,
    ...(options.fetch ? { [customFetch]: options.fetch } : {}),
  });
  let entries = new Map<string, KeyEntry>();
  let inFlight: Promise<void> | undefined;
  /** Kids a fetch looked for and did not find, with when that fetch started (insertion order = age). */
  const missing = new Map<string, number>();
  /** When the last fetch for unknown kids started. */
  let lastLookup = Number.NEGATIVE_INFINITY;
  let lookup: Lookup | undefined;

  const rebuild = () => {
    const next = new Map<string, KeyEntry>();
    for (const jwk of (remote.jwks()?.keys ?? []) as JsonWebKey[]) {
      const alg = algorithmOf(jwk, allowed);
      if (typeof jwk.kid !== 'string' || !alg) continue;
      if (jwk.use !== undefined && jwk.use !== 'sig') continue;
      try {
        const { kty, crv, x, y, n, e } = jwk;
        const publicKey = createPublicKey({ key: { kty, crv, x, y, n, e } as JsonWebKey, format: 'jwk' });
        next.set(jwk.kid, {
          kid: jwk.kid,
          alg,
          verifyKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
          signingKey: undefined,
          jwk,
          createdAt: 0,
          activatesAt: 0,
          retiredAt: null,
        });
      } catch {
        // A malformed key in the set is skipped; the others still verify.
      }
    }
    entries = next;
  };

  const logger = options.logger ?? consoleFeedLogger;
  const jwksUrl = String(options.jwksUrl);
  /** Why the last fetch failed; undefined while fetches succeed. */
  let failing: string | undefined;
  const fetchKeys = (): Promise<void> =>
    (inFlight ??= remote
      .reload()
      .then(
        () => {
          rebuild();
          if (failing !== undefined) logger.info({ jwksUrl, keys: entries.size }, 'signing keys fetched again');
          failing = undefined;
        },
        (error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          if (failing === undefined) {
            logger.warn({ jwksUrl, error: reason }, 'signing keys cannot be fetched; tokens needing them get 503 unavailable');
          }
          failing = reason;
          throw error;
        },
      )
      .finally(() => {
        inFlight = undefined;
      }));

  /** Whether `kid` was looked for less than a cooldown ago and was not there. */
  const coolingDown = (kid: string, now: number): boolean => {
    for (const [oldest, at] of missing) {
      if (now - at < cooldownMs && missing.size <= MAX_MISSING_KIDS) break;
      missing.delete(oldest);
    }
    const at = missing.get(kid);
    return at !== undefined && now - at < cooldownMs;
  };

  /** Starts a fetch for the kids gathered, once the gap since the last one has passed. */
  const schedule = (): Lookup => {
    const kids = new Set<string>();
    const wait = Math.max(0, lastLookup + UNKNOWN_KID_FETCH_GAP_MS - performance.now());
    const next: Lookup = {
      kids,
      started: false,
      done: new Promise<void>((resolve) => setTimeout(resolve, wait)).then(async () => {
        next.started = true;
        const at = (lastLookup = performance.now());
        try {
          // A fetch under way began before these kids arrived: wait for it, then fetch anew.
          await inFlight?.catch(() => {});
          await fetchKeys();
        } finally {
          if (lookup === next) lookup = undefined;
        }
        for (const kid of kids) {
          if (entries.has(kid)) continue;
          missing.delete(kid);
          missing.set(kid, at);
        }
      }),
    };
    return next;
  };

  /** Resolves once a fetch that started after this call has looked for `kid`. */
  const lookFor = async (kid: string): Promise<void> => {
    for (;;) {
      const current = lookup;
      if (current && !current.started) {
        // Past the cap a kid still waits for the fetch; it is just not remembered as missing.
        if (current.kids.size < MAX_MISSING_KIDS) current.kids.add(kid);
        return current.done;
      }
      if (current) {
        // Started before this kid arrived; it may still bring the key (published before it began).
        await current.done.catch(() => {});
        if (entries.has(kid)) return;
        continue;
      }
      lookup = schedule();
    }
  };

  return {
    find: (kid) => {
      // Stale keys keep answering while a refetch runs in the background.
      if (!remote.fresh && !remote.reloading && entries.size > 0) void fetchKeys().catch(() => {});
      return entries.get(kid);
    },
    async reload({ onlyIfCool = false, kid } = {}) {
      if (!onlyIfCool) {
        await fetchKeys();
        return true;
      }
      // No kid named: the first fetch (a resource server loading its keys).
      const wanted = kid ?? '';
      if (entries.has(wanted)) return true; // another request's fetch brought it meanwhile
      if (coolingDown(wanted, performance.now())) return false;
      // A failed fetch rejects here: an outage (503), not an unknown key (401). Its kids are not
      // counted as missing, so they are looked for again at the next fetch, a gap later.
      await lookFor(wanted);
      return true;
    },
  };
}
