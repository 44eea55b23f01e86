import type { RequestHandler } from 'express';
import { unavailable } from '../lib/errors.ts';
import { requireRole as requireRoleOf } from '../rbac/require-role.ts';
import { ALGORITHMS, isHmac, type Algorithm } from '../lib/algorithms.ts';
import { createRequireAuth } from '../tokens/require-auth.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import type { VerificationKeys } from '../tokens/keystore.ts';
import type { VerifiedClaims } from '../tokens/claims.ts';
import { createHmacKeystore } from '../tokens/hmac-keystore.ts';
import { readHeader } from '../tokens/jwt-header.ts';
import { createDiscoveredKeystore, type DiscoveredKeys } from './discovery.ts';
import { createRemoteKeystore } from './remote-keystore.ts';
import { createRevocationCheck } from './revocation-check.ts';
import type { FeedLogger, RevocationFeedOptions } from './revocation-options.ts';
import { requireScope as requireScopeOf } from './require-scope.ts';
import { requireAmr as requireAmrOf } from './require-amr.ts';
import { withAuthErrors } from './errors.ts';
import type { RolesClaim } from './roles-claim.ts';
import { profileVerifiers, type ProfileName } from './token-profile.ts';

export type { AccessClaims, VerifiedClaims } from '../tokens/claims.ts';
export type { RolesClaim } from './roles-claim.ts';
export type { FeedLogger, RevocationFeedOptions } from './revocation-options.ts';
export { closeRevocationFeeds } from './feed-registry.ts';
export { problemHandler, type ProblemHandlerOptions, type ProblemLogger } from './problem-handler.ts';
export { authed, type AuthedRequest } from './authed.ts';
export {
  AuthUnavailableError,
  InsufficientRoleError,
  InsufficientScopeError,
  InvalidTokenError,
  MfaRequiredError,
  MissingTokenError,
  TesseraAuthError,
  TokenExpiredError,
  TokenRevokedError,
  type AuthErrorCode,
} from './errors.ts';

/** Allows the request if the verified token carries any of `roles` (else 403 insufficient_role). Use after requireAuth. */
export const requireRole = (...roles: string[]): RequestHandler => withAuthErrors(requireRoleOf(...roles));
/** Allows the request if the verified token grants every one of `scopes` (`scope`, `scp` or `permissions`; else 403 insufficient_scope). */
export const requireScope = (...scopes: string[]): RequestHandler => withAuthErrors(requireScopeOf(...scopes));
/** Allows the request if the token's login proved every one of `methods` (its `amr`; else 403 mfa_required). */
export const requireAmr = (...methods: string[]): RequestHandler => withAuthErrors(requireAmrOf(...methods));

const DEFAULT_CACHE_SIZE = 10_000;

export interface RequireAuthOptions {
  /**
   * The auth server's JWKS, e.g. https://auth.example.com/.well-known/jwks.json. Without it (and
   * without `secret`) it is the `jwks_uri` of the issuer's discovery document
   * (`<issuer>/.well-known/openid-configuration`, else RFC 8414's
   * `/.well-known/oauth-authorization-server`): `issuer` must then be one http(s) URL.
   */
  jwksUrl?: string | URL;
  /** HMAC mode instead: the shared JWT_SECRET. */
  secret?: string | Buffer;
  /** HMAC mode: HS256 (default), HS384 or HS512. */
  algorithm?: Algorithm;
  /** The accepted `iss`: one issuer or a list (e.g. Entra ID's v1 and v2 issuers of a tenant). */
  issuer: string | string[];
  /** The accepted audience(s): a token passes if its `aud` names one of them. */
  audience: string | string[];
  /**
   * Which checks a token meets (default 'rfc9068', or 'tessera' when `revocations` is given or the
   * issuer's discovery document says it is a Tessera server):
   * - 'rfc9068': RFC 9068 access tokens of any provider: typ at+jwt, iss, aud, exp, sub, iat and
   *   jti; `client_id` a string where present; ES256 signatures in either S form. Tessera's own
   *   tokens pass too (their `sid` and `roles` are handed on when present).
   * - 'tessera': Tessera's own tokens exactly as the server checks them: `sid` and `roles` too,
   *   ES256 signatures only in their canonical (low-S) form. Not with typ, requiredClaims or rolesClaim.
   */
  profile?: ProfileName;
  /**
   * Accepted `typ` headers: 'at+jwt' (default: RFC 9068 access tokens), a list (Keycloak and
   * Entra ID send 'JWT') or false (not checked: Auth0 may send none).
   */
  typ?: 'at+jwt' | string[] | false;
  /**
   * Top-level claims every token must carry. Default: RFC 9068's (iss, aud, exp, sub, iat, jti)
   * when `typ` is 'at+jwt', else ['sub', 'exp']. `iss`, `aud` and `exp` are required whatever
   * the list says: the issuer, audience and expiry checks read them.
   */
  requiredClaims?: string[];
  /**
   * Where `req.auth.roles` (what requireRole checks) comes from. Default: the `roles` claim.
   * - a dot path, walked through nested objects only: 'realm_access.roles' reads
   *   `{"realm_access": {"roles": […]}}`, never a flat claim named `realm_access.roles`;
   * - a list of keys, each taken whole: ['https://example.com/roles'] for a namespaced flat
   *   claim (Auth0), ['resource_access', 'my.app', 'roles'] for a key holding dots. A dot path
   *   that reads like a namespaced name ('https://example.com/roles') is refused: pass the list;
   * - a function of the claims.
   * A token without the claim has no roles; one whose value is not a list of names is refused.
   */
  rolesClaim?: RolesClaim;
  /**
   * Accepted asymmetric algorithms (default: ES256, EdDSA, RS256, PS256). Each key is pinned to
   * its own `alg`; a JWK without `alg` (Entra ID) is used only when this list pins exactly one
   * algorithm for its key type: RS256 or PS256 for RSA, ES256 for P-256, EdDSA for Ed25519.
   */
  algorithms?: Algorithm[];
  /** Leeway for exp/nbf in seconds (default 5). */
  clockTolerance?: number;
  /**
   * How long a `kid` the JWKS did not have is refused before it is looked for again (default
   * 30 s). Per kid: a made-up kid never holds up a new key's tokens. Fetches for unknown kids
   * start at most once a second, whatever the kids.
   */
  cooldownMs?: number;
  /**
   * Where the library says why the signing keys (or the issuer's discovery document) cannot be
   * fetched, and when they can again: once per change of state, pino's signature (a pino logger
   * can be passed as is). Default: one console line each. The revocation feed has its own
   * (`revocations.logger`).
   */
  logger?: FeedLogger;
  /**
   * Verified tokens remembered per process, keyed by the token (default 10,000; 0 turns the cache
   * off): a repeated token skips the signature check. An entry ends at the token's `exp` or when
   * its key leaves the JWKS; isRevoked still runs on every request.
   */
  cacheSize?: number;
  /**
   * Extra check after verification (and after the cache), on every request, e.g. a revocation
   * list; return true to refuse the token. Tokens of other issuers may carry no `sid` or `jti`.
   */
  isRevoked?(claims: VerifiedClaims): boolean;
  /**
   * The auth server's revocation feed ({ url, clientId, clientSecret }, e.g. url
   * https://auth.example.com/api/revocations): one stream per process, shared by every requireAuth
   * naming the same url and clientId, so a revoked token is refused (401 token_revoked) within
   * about a second, with no request per check. It reconnects with back-off and resumes where it
   * stopped; `onStale` decides what happens while it is down. Call closeRevocationFeeds() on
   * shutdown: an open stream keeps its connection (not its timers) alive. The feed is a Tessera
   * server's, keyed by `sid`: it implies profile 'tessera' unless `profile` says otherwise.
   */
  revocations?: RevocationFeedOptions;
  /**
   * RFC 8176 methods the token's login must have proved (its `amr` claim), e.g. `['otp']`: only
   * tokens from a login with a second factor pass, others get `403 mfa_required`. The same as
   * `requireAmr(...)` after requireAuth.
   */
  amr?: string[];
  clock?: Clock;
}

/** The `kid` of a token refused as signed by an unknown key (its header has been read by then). */
function kidOf(token: string): string | undefined {
  const { kid } = readHeader(token);
  return typeof kid === 'string' ? kid : undefined;
}

function cacheSizeOf(size: number | undefined): number {
  if (size === undefined) return DEFAULT_CACHE_SIZE;
  if (!Number.isSafeInteger(size) || size < 0) throw new TypeError('requireAuth: cacheSize must be a whole number ≥ 0');
  return size;
}

/**
 * Protects routes of any Express service with Tessera access tokens: verification through
 * the auth server's JWKS (or a shared secret), the same code the server itself runs. With
 * `typ`, `requiredClaims` or `rolesClaim` it accepts access tokens of other identity providers.
 * Failures reach `next()` as the exported error classes (InvalidTokenError, TokenExpiredError…,
 * each with its stable `code`); mount `problemHandler()` after your routes to render them as
 * RFC 9457 problems with RFC 6750 `WWW-Authenticate` headers. `req.auth` holds the claims
 * (`authed(handler)` types them as present).
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
      ...(options.logger ? { logger: options.logger } : {}),
    });
  } else {
    // Its discoveredProfile() says whether the issuer's metadata names a Tessera server.
    keys = createDiscoveredKeystore({
      issuer: options.issuer,
      algorithms: options.algorithms ?? ALGORITHMS.filter((alg) => !isHmac(alg)),
      ...(options.cooldownMs !== undefined ? { cooldownMs: options.cooldownMs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  const common = { keys, clock, clockToleranceSeconds: options.clockTolerance ?? 5, cacheSize: cacheSizeOf(options.cacheSize) };
  // Tessera's own tokens get exactly the server's checks, RFC 9068 tokens of any issuer that
  // profile (token-profile.ts), told what the issuer's discovery document says of it, if read.
  const verifierOf = profileVerifiers(options, common);
  const discovered = 'discoveredProfile' in keys ? (keys as DiscoveredKeys) : undefined;
  const verify = (token: string): VerifiedClaims => verifierOf(discovered?.discoveredProfile())(token);
  const isRevoked = revocationCheck(options, clock);
  const authenticate = createRequireAuth<VerifiedClaims>({
    verify,
    ...(isRevoked ? { isRevoked } : {}),
    reloadKeys: (token) =>
      keys.reload({ onlyIfCool: true, kid: kidOf(token) }).catch((error: unknown) => {
        // An unreachable auth server is an outage (503), not a bad token.
        throw unavailable('The signing keys cannot be fetched right now.', error);
      }),
  });
  if (options.amr === undefined) return withAuthErrors(authenticate);
  const methods = requireAmrOf(...options.amr);
  return withAuthErrors((req, res, next) =>
    authenticate(req, res, (error?: unknown) => (error === undefined ? methods(req, res, next) : next(error))),
  );
}

/**
 * The feed's list first, then the caller's isRevoked; a token neither refuses meets the stale
 * policy (which may throw `unavailable`: a 503, not a 401).
 */
function revocationCheck(options: RequireAuthOptions, clock: Clock): ((claims: VerifiedClaims) => boolean) | undefined {
  const custom = options.isRevoked?.bind(options);
  if (!options.revocations) return custom;
  const feed = createRevocationCheck(options.revocations, clock);
  return (claims) => {
    if (feed.isRevoked(claims) || custom?.(claims)) return true;
    feed.assertFresh();
    return false;
  };
}
