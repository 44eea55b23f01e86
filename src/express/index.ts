import type { ErrorRequestHandler, RequestHandler } from 'express';
import { sendProblem } from '../http/problem.ts';
import { DomainError, unavailable } from '../lib/errors.ts';
import { requireRole } from '../rbac/require-role.ts';
import { ALGORITHMS, isHmac, type Algorithm } from '../lib/algorithms.ts';
import { createRequireAuth } from '../tokens/require-auth.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { createAccessTokenVerifier } from '../tokens/access-token-verifier.ts';
import type { VerificationKeys } from '../tokens/keystore.ts';
import type { AccessClaims } from '../tokens/claims.ts';
import { createHmacKeystore } from '../tokens/hmac-keystore.ts';
import { createRemoteKeystore } from './remote-keystore.ts';

export type { AccessClaims } from '../tokens/claims.ts';
export { requireRole };

export interface RequireAuthOptions {
  /** The auth server's JWKS, e.g. https://auth.example.com/.well-known/jwks.json. */
  jwksUrl?: string | URL;
  /** HMAC mode instead: the shared JWT_SECRET. */
  secret?: string | Buffer;
  /** HMAC mode: HS256 (default), HS384 or HS512. */
  algorithm?: Algorithm;
  issuer: string;
  audience: string;
  /** Accepted asymmetric algorithms (default: ES256, EdDSA, RS256, PS256). Each key is pinned to its own `alg`. */
  algorithms?: Algorithm[];
  /** Leeway for exp/nbf in seconds (default 5). */
  clockTolerance?: number;
  /** Minimum time between JWKS fetches caused by unknown `kid`s (default 30 s). */
  cooldownMs?: number;
  /** Extra check after verification, e.g. a revocation list; return true to refuse the token. */
  isRevoked?: (claims: AccessClaims) => boolean;
  clock?: Clock;
}

/**
 * Protects routes of any Express service with Tessera access tokens: verification through
 * the auth server's JWKS (or a shared secret), the same code the server itself runs.
 * Failures are RFC 9457 problems with RFC 6750 `WWW-Authenticate` headers; mount
 * `problemHandler()` after your routes to render them.
 */
export function requireAuth(options: RequireAuthOptions): RequestHandler {
  const clock = options.clock ?? systemClock;
  let keys: VerificationKeys;
  if (options.secret !== undefined) {
    const alg = options.algorithm ?? 'HS256';
    if (!isHmac(alg)) throw new TypeError('a shared secret needs an HS* algorithm');
    keys = createHmacKeystore(Buffer.from(options.secret), alg);
  } else if (options.jwksUrl !== undefined) {
    keys = createRemoteKeystore({
      jwksUrl: options.jwksUrl,
      algorithms: options.algorithms ?? ALGORITHMS.filter((alg) => !isHmac(alg)),
      ...(options.cooldownMs !== undefined ? { cooldownMs: options.cooldownMs } : {}),
    });
  } else {
    throw new TypeError('requireAuth needs jwksUrl or secret');
  }
  const tokens = createAccessTokenVerifier({
    keys,
    clock,
    issuer: options.issuer,
    audience: options.audience,
    clockToleranceSeconds: options.clockTolerance ?? 5,
  });
  return createRequireAuth({
    verify: (token) => tokens.verify(token),
    ...(options.isRevoked ? { isRevoked: options.isRevoked } : {}),
    reloadKeys: () =>
      keys.reload({ onlyIfCool: true }).catch((error: unknown) => {
        // An unreachable auth server is an outage (503), not a bad token.
        throw unavailable('The signing keys cannot be fetched right now.', error);
      }),
  });
}

/** Renders Tessera errors (and any other error, as a bare 500) as problem+json. */
export function problemHandler(): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    sendProblem(res, error instanceof DomainError ? error : new DomainError('internal_error', 'Something went wrong.'));
  };
}
