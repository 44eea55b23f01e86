import type { VerifiedClaims } from '../tokens/claims.ts';
import { createAccessTokenVerifier, type AccessTokenVerifierOptions, type TokenProfile } from '../tokens/access-token-verifier.ts';
import { rolesReader, type RolesClaim } from './roles-claim.ts';
import { verifiedClaimsOf } from './verified-claims.ts';

/**
 * - 'rfc9068': RFC 9068 access tokens of any provider: typ at+jwt, iss, aud, exp, sub, iat, jti;
 *   `client_id` a string where present; `roles` read through `rolesClaim`; ES256 in either S form.
 * - 'tessera': exactly the checks the Tessera server runs on its own tokens: `sid` and `roles`
 *   too, and ES256 signatures only in their canonical (low-S) form.
 */
export type ProfileName = 'tessera' | 'rfc9068';

/** What requireAuth is told about the tokens it accepts (see RequireAuthOptions). */
export interface TokenShape {
  issuer: string | string[];
  audience: string | string[];
  typ?: 'at+jwt' | string[] | false;
  requiredClaims?: string[];
  rolesClaim?: RolesClaim;
  profile?: ProfileName;
  /** Only whether it is there: the feed is a Tessera server's. */
  revocations?: object;
}

/** What the issuer and audience checks read, and exp (the cache and expiry): never optional. */
const ALWAYS_REQUIRED = ['iss', 'aud', 'exp'];
/**
 * RFC 9068 §2.2's claims, but for `client_id`: §4 (how a resource server validates) does not
 * check it, and Tessera's own tokens do not carry it, so requiring it would refuse them under the
 * default profile. verifiedClaimsOf still refuses one that is not a string.
 */
const RFC9068_CLAIMS = ['sub', 'iat', 'jti'];
const OTHER_TYP_CLAIMS = ['sub', 'exp'];

const nonEmpty = (value: string | string[], name: string): string | string[] => {
  const list = typeof value === 'string' ? [value] : value;
  if (list.length === 0 || !list.every((item) => typeof item === 'string' && item.length > 0)) {
    throw new TypeError(`requireAuth: ${name} must be a non-empty string or list of them`);
  }
  return value;
};

/** typ, requiredClaims or rolesClaim: the options describe some issuer's own token shape. */
const describesTokens = (shape: TokenShape): boolean =>
  shape.typ !== undefined || shape.requiredClaims !== undefined || shape.rolesClaim !== undefined;

/**
 * The one place the profile is decided. `discovered`: the profile the issuer's discovery document
 * names ('tessera' for a Tessera server; undefined while nothing was discovered, or when the JWKS
 * was given instead). In order:
 * the `profile` option; options describing a token shape (another issuer's); the revocation
 * feed (only a Tessera server has one); discovery; else RFC 9068.
 */
export function chooseProfile(shape: TokenShape, discovered?: ProfileName): ProfileName {
  if (shape.profile !== undefined && shape.profile !== 'tessera' && shape.profile !== 'rfc9068') {
    throw new TypeError("requireAuth: profile must be 'tessera' or 'rfc9068'");
  }
  if (shape.profile === 'tessera' && describesTokens(shape)) {
    throw new TypeError("requireAuth: profile 'tessera' checks Tessera's own tokens; typ, requiredClaims and rolesClaim do not apply");
  }
  if (shape.profile) return shape.profile;
  if (describesTokens(shape)) return 'rfc9068';
  return shape.revocations !== undefined || discovered === 'tessera' ? 'tessera' : 'rfc9068';
}

/**
 * The verifier profile for RFC 9068 tokens (or the typ, claims and roles the options name);
 * ES256 signatures in either form (other issuers do not all sign low-S).
 */
export function rfc9068Profile(shape: TokenShape): TokenProfile<VerifiedClaims> {
  const typ = shape.typ ?? 'at+jwt';
  if (Array.isArray(typ) && typ.length === 0) throw new TypeError('requireAuth: typ must list a type, or be false');
  const required = shape.requiredClaims ?? (typ === 'at+jwt' ? RFC9068_CLAIMS : OTHER_TYP_CLAIMS);
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

type Common = Omit<AccessTokenVerifierOptions, 'issuer' | 'audience'>;
export type VerifyToken = (token: string) => VerifiedClaims;

/**
 * The verify function of each profile, built on first use and kept (each has its own cache):
 * call it with what discovery learned, per request. The options are checked at once.
 */
export function profileVerifiers(shape: TokenShape, common: Common): (discovered?: ProfileName) => VerifyToken {
  const built = new Map<ProfileName, VerifyToken>();
  const verifierOf = (discovered?: ProfileName): VerifyToken => {
    const name = chooseProfile(shape, discovered);
    let verify = built.get(name);
    if (!verify) {
      if (name === 'tessera') {
        const tokens = createAccessTokenVerifier({ ...common, ...tesseraProfile(shape) });
        verify = (token) => tokens.verify(token) as VerifiedClaims; // AccessClaims, an interface: no index signature
      } else {
        const tokens = createAccessTokenVerifier({ ...common, ...rfc9068Profile(shape) });
        verify = (token) => tokens.verify(token);
      }
      built.set(name, verify);
    }
    return verify;
  };
  verifierOf(); // invalid options throw when requireAuth is created, not at the first request
  return verifierOf;
}
