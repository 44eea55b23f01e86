import type { AccessClaims } from '../lib/access-claims.ts';

export type { AccessClaims };

/**
 * What the resource-server library verifies for any issuer: the payload as it came, `iss`, `aud`
 * and `exp` checked, `roles` read through its `rolesClaim`. A token from another identity
 * provider may lack Tessera's `sid` and `jti` (and `sub` or `iat` when `requiredClaims` allows).
 */
export type VerifiedClaims = {
  iss: string;
  aud: string | string[];
  sub?: string;
  roles: string[];
  sid?: string;
  jti?: string;
  iat?: number;
  exp: number;
  nbf?: number;
  [claim: string]: unknown;
};

/**
 * The claims every Tessera access token carries: requireAuth's default `requiredClaims`. `amr` is
 * left out on purpose: it is checked where present (a list of names) and required only by
 * `requireAmr` / requireAuth's `amr` option.
 */
export const TESSERA_CLAIMS: readonly string[] = ['iss', 'aud', 'sub', 'exp', 'iat', 'jti', 'sid', 'roles'];

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** A list of non-empty strings (what `roles` holds). */
export const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

/** Checks the shape of a verified payload; a signed token from elsewhere may still lack our claims. */
export function isAccessClaims(payload: Record<string, unknown>): payload is Record<string, unknown> & AccessClaims {
  return (
    isString(payload.sub) &&
    isString(payload.sid) &&
    isString(payload.jti) &&
    typeof payload.iat === 'number' &&
    typeof payload.exp === 'number' &&
    isStringList(payload.roles) &&
    (payload.amr === undefined || isStringList(payload.amr)) &&
    (payload.auth_time === undefined || typeof payload.auth_time === 'number')
  );
}
