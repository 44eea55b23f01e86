import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { createRemoteJWKSet, customFetch, type FetchImplementation } from 'jose';
import { isHmac, type Algorithm } from '../lib/algorithms.ts';
import type { KeyEntry, VerificationKeys } from '../tokens/keystore.ts';
import { algorithmOf } from './jwk-algorithm.ts';

export interface RemoteKeystoreOptions {
  jwksUrl: string | URL;
  /**
   * Algorithms accepted at all; a JWK whose `alg` is not listed is ignored, and one without `alg`
   * is used only when this pins exactly one algorithm for its kty/crv (see algorithmOf).
   */
  algorithms: Algorithm[];
  /** Minimum time between fetches caused by unknown `kid`s (default 30 s). */
  cooldownMs?: number;
  /** How long fetched keys are trusted before a background refetch (default 5 min). */
  cacheMaxAgeMs?: number;
  fetch?: FetchImplementation;
}

/** How soon an unknown `kid` may trigger another fetch after a failed one (one at a time in any case). */
const RETRY_AFTER_FAILURE_MS = 1000;

/**
 * The keys of a remote JWKS, for a resource server. jose's remote JWK set does the
 * fetching (timeouts, cache age); verification stays
 * synchronous on KeyObjects built from its cached set.
 */
export function createRemoteKeystore(options: RemoteKeystoreOptions): VerificationKeys {
  const cooldownMs = options.cooldownMs ?? 30_000;
  const allowed = new Set(options.algorithms.filter((alg) => !isHmac(alg)));
  const remote = createRemoteJWKSet(new URL(options.jwksUrl), {
    cooldownDuration: cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs ?? 300_000,
    ...(options.fetch ? { [customFetch]: options.fetch } : {}),
  });
  let entries = new Map<string, KeyEntry>();
  // Counted between unknown-kid reloads only: jose's own cooldown restarts at every fetch (the
  // routine refresh included), which would make a token under a just-published key wait.
  let lastUnknownKidReload = Number.NEGATIVE_INFINITY;
  /** The last such reload failed (the auth server was unreachable): its error, until one succeeds. */
  let failure: { error: unknown } | undefined;
  let inFlight: Promise<void> | undefined;

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

  const fetchKeys = (): Promise<void> =>
    (inFlight ??= remote
      .reload()
      .then(rebuild)
      .finally(() => {
        inFlight = undefined;
      }));

  return {
    find: (kid) => {
      // Stale keys keep answering while a refetch runs in the background.
      if (!remote.fresh && !remote.reloading && entries.size > 0) void fetchKeys().catch(() => {});
      return entries.get(kid);
    },
    async reload({ onlyIfCool = false } = {}) {
      // A fetch under way (the first one, say) may bring the key: wait for it rather than call
      // the token unknown because the cooldown began a moment ago.
      if (onlyIfCool && inFlight) {
        await inFlight;
        return true;
      }
      if (onlyIfCool) {
        const now = performance.now();
        // After a failed fetch the key may well exist: say "outage" (503) and retry soon, rather
        // than call a good token unknown (401) for a whole cooldown once the server is back.
        if (failure) {
          if (now - lastUnknownKidReload < RETRY_AFTER_FAILURE_MS) throw failure.error;
        } else if (now - lastUnknownKidReload < cooldownMs) return false;
        lastUnknownKidReload = now;
      }
      try {
        await fetchKeys();
        failure = undefined;
      } catch (error) {
        failure = { error };
        throw error;
      }
      return true;
    },
  };
}
