import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAccessTokens } from '../../src/tokens/access-token.ts';
import { createHmacKeystore } from '../../src/tokens/hmac-keystore.ts';
import { createRefreshTokens } from '../../src/tokens/refresh-token.ts';
import { TokenError, type TokenFailure } from '../../src/tokens/token-error.ts';
import { fakeClock } from '../helpers/clock.ts';
import { decodeHeader, decodePayload, encodeJson, signHmac } from '../helpers/jwt-forge.ts';

const ISSUER = 'tessera';
const TTL_S = 7 * 86400;
const LEEWAY_S = 5;

function setup(secret = randomBytes(32)) {
  const clock = fakeClock();
  const refresh = createRefreshTokens({ secret, clock, issuer: ISSUER, ttlSeconds: TTL_S, clockToleranceSeconds: LEEWAY_S });
  return { clock, secret, refresh };
}

function failure(fn: () => unknown): TokenFailure {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenError);
    return (error as TokenError).reason;
  }
  throw new Error('expected a TokenError, but the token was accepted');
}

describe('refresh tokens (unit)', () => {
  it('round-trips: sign then verify returns the claims', () => {
    const { clock, refresh } = setup();
    const { token, claims } = refresh.sign({ sub: 'user-1', sid: 'session-1' });
    expect(decodeHeader(token)).toMatchObject({ alg: 'HS256', typ: 'refresh+jwt' });
    expect(decodePayload(token)).toMatchObject({ iss: ISSUER, aud: ISSUER, sub: 'user-1', sid: 'session-1' });
    expect(claims.iat).toBe(Math.floor(clock.now() / 1000));
    expect(claims.exp).toBe(claims.iat + TTL_S);
    expect(refresh.verify(token)).toEqual(claims);
  });

  it('gives every token a unique jti', () => {
    const { refresh } = setup();
    const jtis = new Set(Array.from({ length: 20 }, () => refresh.sign({ sub: 'u', sid: 's' }).claims.jti));
    expect(jtis.size).toBe(20);
  });

  it('caps exp at the session end when one is given', () => {
    const { refresh } = setup();
    const { claims } = refresh.sign({ sub: 'u', sid: 's' });
    const capped = refresh.sign({ sub: 'u', sid: 's' }, claims.iat + 60);
    expect(capped.claims.exp).toBe(claims.iat + 60);
  });

  it('refuses an access token, even one signed with the same secret and algorithm', () => {
    const { clock, secret, refresh } = setup();
    const access = createAccessTokens({
      keystore: createHmacKeystore(secret, 'HS256'),
      clock,
      issuer: ISSUER,
      audience: ISSUER,
      ttlSeconds: 900,
      clockToleranceSeconds: LEEWAY_S,
    });
    const { token } = access.sign({ sub: 'u', roles: ['user'], sid: 's' });
    expect(failure(() => refresh.verify(token))).toBe('invalid');

    // ...and the access verifier refuses a refresh token the other way round.
    const refreshToken = refresh.sign({ sub: 'u', sid: 's' }).token;
    expect(() => access.verify(refreshToken)).toThrow(TokenError);
  });

  it('refuses a token signed with another secret', () => {
    const { refresh } = setup();
    const other = setup().refresh.sign({ sub: 'u', sid: 's' }).token;
    expect(failure(() => refresh.verify(other))).toBe('invalid');
  });

  it('refuses forged variants: alg none, another HMAC size, wrong iss/aud, tampered claims', () => {
    const { secret, refresh } = setup();
    const { token } = refresh.sign({ sub: 'u', sid: 's' });
    const header = decodeHeader(token);
    const payload = decodePayload(token);

    expect(failure(() => refresh.verify(`${encodeJson({ ...header, alg: 'none' })}.${encodeJson(payload)}.`))).toBe('invalid');
    expect(failure(() => refresh.verify(signHmac({ ...header, alg: 'HS512' }, payload, secret, 'sha512')))).toBe('invalid');
    expect(failure(() => refresh.verify(signHmac({ ...header, typ: 'JWT' }, payload, secret)))).toBe('invalid');
    expect(failure(() => refresh.verify(signHmac(header, { ...payload, iss: 'evil' }, secret)))).toBe('invalid');
    expect(failure(() => refresh.verify(signHmac(header, { ...payload, aud: 'tessera-api' }, secret)))).toBe('invalid');
    const [h, , s] = token.split('.');
    expect(failure(() => refresh.verify(`${h}.${encodeJson({ ...payload, sub: 'admin' })}.${s}`))).toBe('invalid');
    expect(failure(() => refresh.verify('garbage'))).toBe('invalid');
    expect(failure(() => refresh.verify(`${token}.x`))).toBe('invalid');
    // Control: the same helper with nothing changed is accepted.
    expect(refresh.verify(signHmac(header, payload, secret)).sid).toBe('s');
  });

  it('expires by the injected clock, with the configured leeway', () => {
    const { clock, refresh } = setup();
    const { token, claims } = refresh.sign({ sub: 'u', sid: 's' });

    clock.set(claims.exp * 1000);
    expect(refresh.verify(token).sid).toBe('s');
    clock.set((claims.exp + LEEWAY_S - 1) * 1000);
    expect(refresh.verify(token).sid).toBe('s');
    clock.set((claims.exp + LEEWAY_S) * 1000);
    expect(failure(() => refresh.verify(token))).toBe('expired');
    clock.set((claims.exp + 3600) * 1000);
    expect(failure(() => refresh.verify(token))).toBe('expired');
  });

  it('refuses a token whose nbf is beyond the leeway, by the injected clock', () => {
    const { clock, secret, refresh } = setup();
    const { token } = refresh.sign({ sub: 'u', sid: 's' });
    const header = decodeHeader(token);
    const payload = decodePayload(token);
    const nowS = Math.floor(clock.now() / 1000);
    expect(failure(() => refresh.verify(signHmac(header, { ...payload, nbf: nowS + LEEWAY_S + 5 }, secret)))).toBe('invalid');
    expect(refresh.verify(signHmac(header, { ...payload, nbf: nowS + LEEWAY_S - 1 }, secret)).sid).toBe('s');
  });
});
