import { createVerifier, TokenError as JwtError } from 'fast-jwt';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../lib/clock.ts';
import { isAccessClaims, type AccessClaims } from './claims.ts';
import { isHighS, withLowS } from './ecdsa-low-s.ts';
import { readHeader } from './jwt-header.ts';
import type { KeyEntry, VerificationKeys } from './keystore.ts';
import { checkTimes } from './time-checks.ts';
import { TokenError } from './token-error.ts';

/** A `typ` as RFC 7515 §4.1.9 compares it: case-insensitive, `application/` optional. */
const normalType = (typ: string): string => typ.toLowerCase().replace(/^application\//, '');
const ACCESS_TOKEN_TYPES = ['at+jwt'];
/** What fast-jwt checks for the presence of; isAccessClaims checks the rest (sid, roles) and the types. */
const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'exp', 'iat', 'jti'];
/** A compact JWS whose signature is 64 bytes (ES256 or EdDSA) ends in 86 base64url characters. */
const SIGNATURE_64_LENGTH = 86;

export interface AccessTokenVerifierOptions {
  keys: VerificationKeys;
  /** How many verified tokens to remember (0 disables the cache). */
  cacheSize?: number | undefined;
  clock: Clock;
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
}

/**
 * How the resource-server library reads tokens of other issuers. The server passes none of it:
 * each default is Tessera's own access token.
 */
export interface TokenProfile<C> {
  issuer: string | readonly string[];
  audience: string | readonly string[];
  /** Accepted `typ` headers (default: at+jwt); false: not checked. */
  types?: readonly string[] | false;
  /** Claims that must be present (default: Tessera's). fast-jwt checks iss and aud only when present: list them. */
  requiredClaims?: readonly string[];
  /** Turns a verified payload into claims or throws TokenError (default: Tessera's access-token claims). */
  toClaims?: (payload: Record<string, unknown>) => C;
  /**
   * ES256 signatures with a high S (both forms of an ECDSA signature verify): refused (default:
   * Tessera signs low S), or accepted for issuers that sign either, and cached under the low-S form.
   */
  highS?: 'refuse' | 'accept';
}

const isName = (value: unknown): boolean => typeof value === 'string' && value.length > 0;
const isNames = (value: unknown): boolean => Array.isArray(value) && value.every(isName);
/** What isAccessClaims checks, claim by claim, so that a refusal can name the claim (never its value). */
const ACCESS_CLAIM_CHECKS: [name: string, required: boolean, ok: (value: unknown) => boolean][] = [
  ['sub', true, isName],
  ['sid', true, isName],
  ['jti', true, isName],
  ['iat', true, (value) => typeof value === 'number'],
  ['exp', true, (value) => typeof value === 'number'],
  ['roles', true, isNames],
  ['amr', false, isNames],
  ['auth_time', false, (value) => typeof value === 'number'],
];

function accessClaimsProblem(payload: Record<string, unknown>): string {
  for (const [name, required, ok] of ACCESS_CLAIM_CHECKS) {
    if (!(name in payload) || payload[name] === undefined) {
      if (required) return `The token has no ${name} claim.`;
    } else if (!ok(payload[name])) return `The token's ${name} claim has the wrong type.`;
  }
  return 'The token lacks required claims.';
}

/** Tessera's access-token claims, frozen: the same object is handed to every request that presents the token. */
function tesseraClaims(payload: Record<string, unknown>): AccessClaims {
  if (!isAccessClaims(payload)) throw new TokenError('invalid', accessClaimsProblem(payload));
  Object.freeze(payload.roles);
  if (payload.amr) Object.freeze(payload.amr);
  return Object.freeze(payload);
}

/** Claims whose name a fast-jwt failure may give (its own validators' and the required ones). */
const NAMEABLE_CLAIMS = ['iss', 'aud', 'sub', 'jti', 'iat', 'exp', 'nbf'];

/**
 * A fast-jwt failure in words that name the check, never the token's content. fast-jwt checks the
 * signature before the claims, so a claim is named only for a token its issuer signed. The claim
 * name is taken from fast-jwt's message only when it is one we asked about.
 */
function failureDetail(error: unknown, requiredClaims: readonly string[]): string {
  const code = (error as { code?: unknown }).code;
  const message = String((error as { message?: unknown }).message);
  const claim = /^(?:The|None of) ([\w:/.-]+) claim/.exec(message)?.[1];
  const named = claim !== undefined && (NAMEABLE_CLAIMS.includes(claim) || requiredClaims.includes(claim)) ? claim : undefined;
  if (code === JwtError.codes.invalidSignature) return 'The token signature is invalid.';
  if (named && code === JwtError.codes.missingRequiredClaim) return `The token has no ${named} claim.`;
  if (named === 'iss' && code === JwtError.codes.invalidClaimValue)
    return 'The token is from an issuer this service does not accept (iss).';
  if (named === 'aud' && code === JwtError.codes.invalidClaimValue) return 'The token is not meant for this service (aud).';
  if (named) return `The token's ${named} claim has the wrong type or value.`;
  return 'The token signature or claims are invalid.';
}

/** The key a token is cached under when both forms of an ES256 signature verify: its low-S form. */
function lowSForm(token: string): string {
  if (token.length - token.lastIndexOf('.') - 1 !== SIGNATURE_64_LENGTH) return token;
  return readHeader(token).alg === 'ES256' ? withLowS(token) : token;
}

/**
 * What a cached token is filed under: its last 16 characters, the end of its signature (~92 bits
 * of it). V8 hashes a string key by reading all of it, and every request's token is a new string,
 * so keying by the whole token (~500 characters) cost 5,700–6,000 instructions a lookup
 * (callgrind). The key only finds the entry: a hit still compares the whole token, so a token
 * that shares the ending of a cached one (a forgery carrying its signature, say) never gets its
 * claims, and one that fails verification leaves the entry alone. Two valid tokens with the same
 * ending (a ~2⁻⁹² chance) would take turns in one slot.
 */
const ENTRY_KEY_LENGTH = 16;
const entryKey = (token: string): string => token.slice(-ENTRY_KEY_LENGTH);

interface CacheEntry<C> {
  /** The token as verified (its low-S form under highS 'accept'); a hit must equal it. */
  token: string;
  claims: C;
  kid: string;
}

type Verify = (token: string) => { header: Record<string, unknown>; payload: Record<string, unknown> };

/**
 * Verifies access tokens, synchronously (fast-jwt over node:crypto KeyObjects): pins the
 * algorithm of the key the `kid` names, and checks typ, iss, aud, exp and nbf. One verifier
 * per key is built once and reused. Used by the server and by the resource-server library.
 */
export function createAccessTokenVerifier<C extends { exp: number } = AccessClaims>(
  options: Omit<AccessTokenVerifierOptions, 'issuer' | 'audience'> & TokenProfile<C>,
) {
  const { keys, clock, clockToleranceSeconds } = options;
  const issuer = typeof options.issuer === 'string' ? options.issuer : [...options.issuer];
  const audience = typeof options.audience === 'string' ? options.audience : [...options.audience];
  const types = options.types === false ? undefined : new Set((options.types ?? ACCESS_TOKEN_TYPES).map(normalType));
  const requiredClaims = [...(options.requiredClaims ?? REQUIRED_CLAIMS)];
  // Without toClaims, C is AccessClaims (the default type argument): Tessera's shape check.
  const toClaims = options.toClaims ?? (tesseraClaims as unknown as (payload: Record<string, unknown>) => C);
  const acceptHighS = options.highS === 'accept';
  const cachedForm = acceptHighS ? lowSForm : (token: string) => token;
  const verifiers = new Map<string, Verify>();
  // Verified tokens: a client's repeated requests skip the signature check. An entry holds the
  // whole token and is used only for that exact string (compared on every hit); it is filed
  // under the token's last characters (entryKey). Entries are re-checked against the clock on
  // every hit and are bounded in number; revocation is checked by the caller on every request,
  // cache or not. Only canonical tokens verify (or, with highS 'accept', are cached under their
  // low-S form), so a variant of a token never takes an entry of its own.
  const verified = options.cacheSize ? new LRUCache<string, CacheEntry<C>>({ max: options.cacheSize }) : undefined;

  const verifierFor = (entry: KeyEntry): Verify => {
    let verify = verifiers.get(entry.kid);
    if (!verify) {
      verify = createVerifier({
        key: entry.verifyKey,
        algorithms: [entry.alg],
        allowedIss: issuer,
        allowedAud: audience,
        requiredClaims,
        ignoreExpiration: true,
        ignoreNotBefore: true,
        complete: true,
      });
      verifiers.set(entry.kid, verify);
    }
    return verify;
  };

  /** Claims are frozen by toClaims: the same object is handed to every request that presents the token. */
  const verifyUncached = (token: string): { claims: C; kid: string } => {
    const header = readHeader(token);
    if (types && (typeof header.typ !== 'string' || !types.has(normalType(header.typ)))) {
      throw new TokenError('invalid', `The token is not an access token (its typ header is not ${[...types].join(' or ')}).`);
    }
    if (typeof header.kid !== 'string') throw new TokenError('invalid', 'The token names no key.');
    const entry = keys.find(header.kid);
    if (!entry) throw new TokenError('unknown_key', 'The token was signed by an unknown key.');
    if (header.alg !== entry.alg) throw new TokenError('invalid', 'The token algorithm does not match its key.');
    if (entry.alg === 'ES256' && !acceptHighS && isHighS(Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url'))) {
      throw new TokenError('invalid', 'The token signature is not in its canonical (low-S) form.');
    }
    let payload: Record<string, unknown>;
    try {
      payload = verifierFor(entry)(token).payload;
    } catch (error) {
      throw new TokenError('invalid', failureDetail(error, requiredClaims));
    }
    checkTimes(payload, clock.now(), clockToleranceSeconds);
    return { claims: toClaims(payload), kid: entry.kid };
  };

  return {
    /** Throws TokenError; reason 'unknown_key' when the `kid` is not (yet) known here. */
    verify(token: string): C {
      if (!verified) return verifyUncached(token).claims;
      const form = cachedForm(token);
      const key = entryKey(form);
      const cached = verified.get(key);
      if (cached?.token === form) {
        // Still within exp, and its key still trusted (a key removed from the store ends its tokens).
        if (cached.claims.exp > clock.now() / 1000 - clockToleranceSeconds && keys.find(cached.kid)) return cached.claims;
        verified.delete(key);
      }
      // A token filed under the same key that fails here leaves the entry as it is.
      const result = verifyUncached(token);
      verified.set(key, { token: form, claims: result.claims, kid: result.kid });
      return result.claims;
    },

    /** Entries in the verification cache (reported by the benchmarks). */
    cacheSize: () => verified?.size ?? 0,
  };
}

export type AccessTokenVerifier<C extends { exp: number } = AccessClaims> = ReturnType<typeof createAccessTokenVerifier<C>>;
