import { isStringList, type VerifiedClaims } from '../tokens/claims.ts';
import { TokenError } from '../tokens/token-error.ts';

const isString = (value: unknown): boolean => typeof value === 'string' && value.length > 0;

/**
 * The first claim that is there with the wrong type: `sub`, `sid`, `jti`, `client_id` non-empty
 * strings, `iat` and `auth_time` numbers, `amr` (RFC 8176; what requireAmr reads) a list of names.
 */
function wronglyTypedClaim(payload: Record<string, unknown>): string | undefined {
  for (const name of ['sub', 'sid', 'jti', 'client_id']) if (name in payload && !isString(payload[name])) return name;
  for (const name of ['iat', 'auth_time']) if (name in payload && typeof payload[name] !== 'number') return name;
  return 'amr' in payload && !isStringList(payload.amr) ? 'amr' : undefined;
}

/**
 * Turns a verified payload of any issuer into the claims requireAuth hands on: the payload as it
 * came, with `roles` replaced by what `readRoles` finds ([] when it finds nothing). Frozen, as the
 * same object is handed to every request presenting the token (verification cache).
 */
export function verifiedClaimsOf(readRoles: (claims: Record<string, unknown>) => unknown) {
  return (payload: Record<string, unknown>): VerifiedClaims => {
    // iss, aud and exp are required and checked by the verifier before this runs.
    const wrong = wronglyTypedClaim(payload);
    if (wrong) throw new TokenError('invalid', `The token's ${wrong} claim has the wrong type.`);
    const roles = readRoles(payload) ?? [];
    if (!isStringList(roles)) throw new TokenError('invalid', 'The token roles are not a list of names (roles).');
    return Object.freeze({ ...payload, roles: Object.freeze([...roles]) }) as VerifiedClaims;
  };
}
