import { createSigner, createVerifier } from 'fast-jwt';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { readHeader } from './jwt-header.ts';
import { checkTimes } from './time-checks.ts';
import { TokenError } from './token-error.ts';

const REFRESH_TOKEN_TYPE = 'refresh+jwt';
const ALGORITHM = 'HS256';

export interface RefreshClaims {
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

/**
 * Refresh tokens: HS256 JWTs under JWT_REFRESH_SECRET, a key no other service ever holds,
 * with `typ: refresh+jwt` so that neither token type is accepted as the other.
 * The server stores only their hash; the JWT form lets it reject garbage without I/O.
 */
export function createRefreshTokens(options: {
  secret: Buffer;
  clock: Clock;
  issuer: string;
  /**
   * Issuers this server signed refresh tokens under before (the old default `tessera`): still
   * accepted, so an upgrade that changes `iss` signs nobody out. The key is ours alone, so no other
   * party can have minted them; each is rotated into one under `issuer` at its next use.
   */
  formerIssuers?: readonly string[];
  ttlSeconds: number;
  clockToleranceSeconds: number;
}) {
  const { secret, clock, issuer, ttlSeconds, clockToleranceSeconds } = options;
  const sign = createSigner({
    key: secret,
    algorithm: ALGORITHM,
    header: { alg: ALGORITHM, typ: REFRESH_TOKEN_TYPE },
  });
  const verify = createVerifier({
    key: secret,
    algorithms: [ALGORITHM],
    allowedIss: [issuer, ...(options.formerIssuers ?? [])],
    allowedAud: [issuer, ...(options.formerIssuers ?? [])],
    requiredClaims: ['sub', 'sid', 'jti', 'exp', 'iat'],
    ignoreExpiration: true,
    ignoreNotBefore: true,
  });

  return {
    ttlSeconds,

    sign(subject: { sub: string; sid: string }, expiresAtSeconds?: number): { token: string; claims: RefreshClaims } {
      const iat = Math.floor(clock.now() / 1000);
      const claims: RefreshClaims = {
        sub: subject.sub,
        sid: subject.sid,
        jti: newId(clock.now()),
        iat,
        exp: Math.min(iat + ttlSeconds, expiresAtSeconds ?? Number.POSITIVE_INFINITY),
      };
      return { token: sign({ iss: issuer, aud: issuer, ...claims }), claims };
    },

    verify(token: string): RefreshClaims {
      const header = readHeader(token);
      if (header.typ !== REFRESH_TOKEN_TYPE || header.alg !== ALGORITHM) {
        throw new TokenError('invalid', 'The token is not a refresh token.');
      }
      let payload: Record<string, unknown>;
      try {
        payload = verify(token) as Record<string, unknown>;
      } catch {
        throw new TokenError('invalid', 'The refresh token signature or claims are invalid.');
      }
      checkTimes(payload, clock.now(), clockToleranceSeconds);
      const { sub, sid, jti, iat, exp } = payload;
      if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') {
        throw new TokenError('invalid', 'The refresh token lacks required claims.');
      }
      return { sub, sid, jti, iat: iat as number, exp: exp as number };
    },
  };
}

export type RefreshTokens = ReturnType<typeof createRefreshTokens>;
