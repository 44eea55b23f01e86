import { TESSERA_CLAIMS, type VerifiedClaims } from '../tokens/claims.ts';
import type { TokenProfile } from '../tokens/access-token-verifier.ts';
import { rolesReader, type RolesClaim } from './roles-claim.ts';
import { verifiedClaimsOf } from './verified-claims.ts';

/** What requireAuth is told about the tokens it accepts (see RequireAuthOptions). */
export interface TokenShape {
  issuer: string | string[];
  audience: string | string[];
  typ?: 'at+jwt' | string[] | false;
  requiredClaims?: string[];
  rolesClaim?: RolesClaim;
}

/** What the issuer and audience checks read, and exp (the cache and expiry): never optional. */
const ALWAYS_REQUIRED = ['iss', 'aud', 'exp'];
const FOREIGN_DEFAULT_CLAIMS = ['sub', 'exp'];

const nonEmpty = (value: string | string[], name: string): string | string[] => {
  const list = typeof value === 'string' ? [value] : value;
  if (list.length === 0 || !list.every((item) => typeof item === 'string' && item.length > 0)) {
    throw new TypeError(`requireAuth: ${name} must be a non-empty string or list of them`);
  }
  return value;
};

/** True when the options describe Tessera's own access tokens: then the server's checks apply, unchanged. */
export const isTesseraShape = (shape: TokenShape): boolean =>
  (shape.typ ?? 'at+jwt') === 'at+jwt' && shape.requiredClaims === undefined && shape.rolesClaim === undefined;

/**
 * The verifier profile for tokens of another identity provider: the typ, claims and roles the
 * options name; ES256 signatures in either form (other issuers do not all sign low-S).
 */
export function foreignProfile(shape: TokenShape): TokenProfile<VerifiedClaims> {
  const typ = shape.typ ?? 'at+jwt';
  if (Array.isArray(typ) && typ.length === 0) throw new TypeError('requireAuth: typ must list a type, or be false');
  const required = shape.requiredClaims ?? (typ === 'at+jwt' ? TESSERA_CLAIMS : FOREIGN_DEFAULT_CLAIMS);
  return {
    issuer: nonEmpty(shape.issuer, 'issuer'),
    audience: nonEmpty(shape.audience, 'audience'),
    types: typ === 'at+jwt' ? ['at+jwt'] : typ,
    requiredClaims: [...new Set([...ALWAYS_REQUIRED, ...required])],
    toClaims: verifiedClaimsOf(rolesReader(shape.rolesClaim ?? 'roles')),
    highS: 'accept',
  };
}

/** Tessera's own tokens: only the issuer and audience (the verifier's defaults do the rest). */
export function tesseraProfile(shape: TokenShape): { issuer: string | string[]; audience: string | string[] } {
  return { issuer: nonEmpty(shape.issuer, 'issuer'), audience: nonEmpty(shape.audience, 'audience') };
}
