import type { RequestHandler } from 'express';
import { bearerFailure, mfaRequired } from '../lib/errors.ts';
import { isStringList, type VerifiedClaims } from '../tokens/claims.ts';

/** The RFC 8176 methods a token's login proved (its `amr` claim); none when absent or malformed. */
export function amrOf(claims: VerifiedClaims): Set<string> {
  return new Set(isStringList(claims.amr) ? claims.amr : []);
}

/** Throws `mfa_required` (403) unless the claims' `amr` holds every one of `methods`. */
export function assertAmr(claims: VerifiedClaims, methods: readonly string[]): void {
  const proven = amrOf(claims);
  if (!methods.every((method) => proven.has(method))) throw mfaRequired(methods);
}

/**
 * Allows the request if the verified token's login proved every one of `methods` (its `amr`
 * claim): `requireAmr('otp')` lets only tokens from a login with a second factor through, else
 * `403 mfa_required`. Use after requireAuth (or pass `amr` to requireAuth itself).
 */
export function requireAmr(...methods: string[]): RequestHandler {
  if (methods.length === 0) throw new TypeError('requireAmr needs at least one method, e.g. requireAmr("otp")');
  return (req, _res, next) => {
    const claims = req.auth;
    if (!claims) return next(bearerFailure('missing_token', 'This endpoint needs a Bearer access token.'));
    try {
      assertAmr(claims, methods);
    } catch (error) {
      return next(error);
    }
    next();
  };
}
