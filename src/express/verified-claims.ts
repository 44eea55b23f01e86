import { isStringList, type VerifiedClaims } from '../tokens/claims.ts';
import { TokenError } from '../tokens/token-error.ts';

const isString = (value: unknown): boolean => typeof value === 'string' && value.length > 0;

/** `sub`, `sid` and `jti` non-empty strings and `iat` a number, each where present. */
function hasWellTypedClaims(payload: Record<string, unknown>): boolean {
  for (const name of ['sub', 'sid', 'jti']) if (name in payload && !isString(payload[name])) return false;
  return !('iat' in payload) || typeof payload.iat === 'number';
}

/**
 * Turns a verified payload of any issuer into the claims requireAuth hands on: the payload as it
 * came, with `roles` replaced by what `readRoles` finds ([] when it finds nothing). Frozen, as the
 * same object is handed to every request presenting the token (verification cache).
 */
export function verifiedClaimsOf(readRoles: (claims: Record<string, unknown>) => unknown) {
  return (payload: Record<string, unknown>): VerifiedClaims => {
    // iss, aud and exp are required and checked by the verifier before this runs.
    if (!hasWellTypedClaims(payload)) throw new TokenError('invalid', 'The token has a claim of the wrong type.');
    const roles = readRoles(payload) ?? [];
    if (!isStringList(roles)) throw new TokenError('invalid', 'The token roles are not a list of names.');
    return Object.freeze({ ...payload, roles: Object.freeze([...roles]) }) as VerifiedClaims;
  };
}
