import type { RequestHandler } from 'express';
import { bearerFailure, DomainError } from '../lib/errors.ts';
import type { VerifiedClaims } from '../tokens/claims.ts';

const words = (value: unknown): string[] => {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
};

/**
 * The scopes a token grants, wherever its issuer puts them: `scope` (RFC 9068, a space-separated
 * string: Keycloak, Okta), `scp` (a string in Entra ID, a list in others) or `permissions`
 * (a list: Auth0 RBAC).
 */
export function scopesOf(claims: VerifiedClaims): Set<string> {
  return new Set([...words(claims.scope), ...words(claims.scp), ...words(claims.permissions)]);
}

/** Allows the request if the verified token grants every one of `scopes`. Use after requireAuth. */
export function requireScope(...scopes: string[]): RequestHandler {
  return (req, _res, next) => {
    const claims = req.auth;
    if (!claims) return next(bearerFailure('missing_token', 'This endpoint needs a Bearer access token.'));
    const granted = scopesOf(claims);
    if (!scopes.every((scope) => granted.has(scope))) {
      return next(new DomainError('insufficient_scope', 'This resource needs a scope the token does not carry.', { scheme: 'Bearer' }));
    }
    next();
  };
}
