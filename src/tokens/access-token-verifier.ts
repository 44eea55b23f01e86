import { createVerifier } from 'fast-jwt';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../lib/clock.ts';
import { isAccessClaims, type AccessClaims } from './claims.ts';
import { isHighS } from './ecdsa-low-s.ts';
import { readHeader } from './jwt-header.ts';
import type { KeyEntry, VerificationKeys } from './keystore.ts';
import { checkTimes } from './time-checks.ts';
import { TokenError } from './token-error.ts';

const ACCEPTED_TYPES = new Set(['at+jwt', 'application/at+jwt']);

export interface AccessTokenVerifierOptions {
  keys: VerificationKeys;
  /** How many verified tokens to remember (0 disables the cache). */
  cacheSize?: number | undefined;
  clock: Clock;
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
}

type Verify = (token: string) => { header: Record<string, unknown>; payload: Record<string, unknown> };

/**
 * Verifies access tokens, synchronously (fast-jwt over node:crypto KeyObjects): pins the
 * algorithm of the key the `kid` names, and checks typ, iss, aud, exp and nbf. One verifier
 * per key is built once and reused. Used by the server and by the resource-server library.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions) {
  const { keys, clock, issuer, audience, clockToleranceSeconds } = options;
  const verifiers = new Map<string, Verify>();
  // Verified tokens, keyed by the exact token string: a client's repeated requests skip the
  // signature check. Entries are re-checked against the clock on every hit and are bounded in
  // number; revocation is checked by the caller on every request, cache or not. Only canonical
  // tokens verify, so a variant of a token never takes an entry of its own.
  const verified = options.cacheSize ? new LRUCache<string, { claims: AccessClaims; kid: string }>({ max: options.cacheSize }) : undefined;

  const verifierFor = (entry: KeyEntry): Verify => {
    let verify = verifiers.get(entry.kid);
    if (!verify) {
      verify = createVerifier({
        key: entry.verifyKey,
        algorithms: [entry.alg],
        allowedIss: issuer,
        allowedAud: audience,
        requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'jti'],
        ignoreExpiration: true,
        ignoreNotBefore: true,
        complete: true,
      });
      verifiers.set(entry.kid, verify);
    }
    return verify;
  };

  /** Claims are frozen: the same object is handed to every request that presents the token. */
  const verifyUncached = (token: string): { claims: AccessClaims; kid: string } => {
    const header = readHeader(token);
    if (typeof header.typ !== 'string' || !ACCEPTED_TYPES.has(header.typ.toLowerCase())) {
      throw new TokenError('invalid', 'The token is not an access token.');
    }
    if (typeof header.kid !== 'string') throw new TokenError('invalid', 'The token names no key.');
    const entry = keys.find(header.kid);
    if (!entry) throw new TokenError('unknown_key', 'The token was signed by an unknown key.');
    if (header.alg !== entry.alg) throw new TokenError('invalid', 'The token algorithm does not match its key.');
    if (entry.alg === 'ES256' && isHighS(Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url'))) {
      throw new TokenError('invalid', 'The token signature is not in its canonical (low-S) form.');
    }
    let payload: Record<string, unknown>;
    try {
      payload = verifierFor(entry)(token).payload;
    } catch {
      throw new TokenError('invalid', 'The token signature or claims are invalid.');
    }
    checkTimes(payload, clock.now(), clockToleranceSeconds);
    if (!isAccessClaims(payload)) throw new TokenError('invalid', 'The token lacks required claims.');
    Object.freeze(payload.roles);
    return { claims: Object.freeze(payload), kid: entry.kid };
  };

  return {
    /** Throws TokenError; reason 'unknown_key' when the `kid` is not (yet) known here. */
    verify(token: string): AccessClaims {
      const cached = verified?.get(token);
      if (cached) {
        // Still within exp, and its key still trusted (a key removed from the store ends its tokens).
        if (cached.claims.exp > clock.now() / 1000 - clockToleranceSeconds && keys.find(cached.kid)) return cached.claims;
        verified?.delete(token);
      }
      const result = verifyUncached(token);
      verified?.set(token, result);
      return result.claims;
    },

    /** Entries in the verification cache (reported by the benchmarks). */
    cacheSize: () => verified?.size ?? 0,
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;
