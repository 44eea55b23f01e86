/**
 * How long a rotated key is published before it signs, and the numbers that decide it. Pure
 * numbers: the resource-server library (express/) reads its default cooldown from here too.
 */

/**
 * The JWKS route re-reads the signing keys when its last read is older than this, so a key
 * published on any instance is in every instance's JWKS within it (the key poll is the fallback).
 * It also bounds the route's database reads: at most one a second, however many requests come.
 */
export const JWKS_READ_THROUGH_MS = 1000;

/** The longest a JWKS may be served from a cache (its Cache-Control max-age), in seconds. */
export const jwksMaxAgeSeconds = (keyPollMs: number): number => Math.min(300, Math.floor(keyPollMs / 1000));

/**
 * tessera-auth/express's default `cooldownMs`: a kid its JWKS fetch did not have is not fetched
 * for again for this long. Older versions of the library (and jose's own remote set) apply it to
 * every kid after any fetch.
 */
export const UNKNOWN_KID_COOLDOWN_MS = 30_000;

/**
 * How long a rotated key is published before it signs: the longer of
 * - one key poll (+1 s for it to land): every instance has loaded the key, so none meets a token
 *   under it unknown, and all switch to it at the same moment;
 * - the read-through bound, plus the longest JWKS cache, plus the library's cooldown. Then a
 *   resource service that meets the first token under the key either may fetch at once (and any
 *   fetch from then on shows the key: it is read through and no cache is older than max-age), or
 *   fetched less than a cooldown before, hence at least bound + max-age after publication, and
 *   that fetch showed it. This holds even for a library whose cooldown covers every kid.
 * With the defaults: max(30 + 1 s, 1 + 30 + 30 s) = 61 s.
 */
export const publishDelayMs = (keyPollMs: number): number =>
  Math.max(keyPollMs + 1000, JWKS_READ_THROUGH_MS + jwksMaxAgeSeconds(keyPollMs) * 1000 + UNKNOWN_KID_COOLDOWN_MS);
