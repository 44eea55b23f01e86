import { createPrivateKey } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessTokens, type AccessTokens } from '../../src/tokens/access-token.ts';
import { readHeader } from '../../src/tokens/jwt-header.ts';
import type { KeyEntry } from '../../src/tokens/keystore.ts';
import { TokenError } from '../../src/tokens/token-error.ts';
import { withLowS } from '../../src/tokens/ecdsa-low-s.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * Whatever string is presented as a token, the parser and the verifier either return or
 * throw a TokenError: never a TypeError, a SyntaxError or a library's own error.
 */

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const runs = (numRuns: number) => ({ numRuns, seed });

const b64url = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');
const toB64url = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** Runs fn and reports what it threw: 'ok', 'TokenError', or the foreign error's name and message. */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof TokenError) return 'TokenError';
    return `foreign: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
}

function expectReturnsOrTokenError(fn: () => unknown): void {
  expect(outcome(fn)).toMatch(/^(ok|TokenError)$/);
}

let t: TestApp;
let tokens: AccessTokens;
let active: KeyEntry;
let validToken: string;

beforeAll(async () => {
  t = await createTestApp();
  active = t.runtime.keystore.active();
  tokens = createAccessTokens({
    keystore: t.runtime.keystore,
    clock: t.clock,
    issuer: t.config.jwt.issuer,
    audience: t.config.jwt.audience,
    ttlSeconds: t.config.jwt.accessTtl,
    clockToleranceSeconds: t.config.jwt.clockTolerance,
  });
  validToken = tokens.sign({ sub: 'user-1', roles: ['user'], sid: 'session-1' }).token;
});

afterAll(async () => {
  await t.close();
});

/** Any string: ASCII-ish, full Unicode, lone surrogates, and long ones near the length limit. */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.constantFrom('', '.', '..', '...', 'a.b.c', 'a.b.c.d', '\u0000.\u0000.\u0000', 'e30.e30.', 'e30.e30.e30', 'bnVsbA.e30.e30'),
  fc.integer({ min: 8180, max: 8200 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 8180, max: 8200 }).map((n) => `e30.${'a'.repeat(Math.max(0, n - 8))}.e30`),
);

/** Base64 (standard and URL alphabets) segments joined with dots. */
const dottedBase64 = fc
  .array(fc.oneof(fc.base64String({ maxLength: 80 }), fc.base64String({ maxLength: 80 }).map(toB64url)), { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join('.'));

const claimValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.constantFrom(null, true, false, [], {}, 'at+jwt', 'application/at+jwt', 'AT+JWT', 'refresh+jwt', 'ES256', 'HS256', 'none'),
);

/** JSON header objects with random alg/typ/kid (sometimes the real ones) and random extra fields. */
const headerObject = fc
  .record(
    {
      alg: fc.oneof(claimValue, fc.constant('ES256'), fc.constantFrom('none', 'HS256', 'RS256', 'EdDSA', 'PS256')),
      typ: claimValue,
      kid: fc.oneof(claimValue, fc.constant('__active__')),
      jwk: claimValue,
      jku: claimValue,
      x5u: claimValue,
      x5c: claimValue,
      crit: claimValue,
      b64: claimValue,
      __proto__: claimValue,
      constructor: claimValue,
    },
    { requiredKeys: [] },
  )
  .chain((base) => fc.dictionary(fc.string({ maxLength: 8 }), claimValue, { maxKeys: 3 }).map((extra) => ({ ...extra, ...base })));

const resolveKid = (header: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(header)) out[k] = v === '__active__' ? active.kid : v;
  if (out.alg === 'ES256') out.alg = active.alg;
  return out;
};

/** Any JSON text as a header or payload (objects, arrays, null, numbers, strings). */
const jsonText = fc.oneof(
  headerObject.map((h) => JSON.stringify(resolveKid(h))),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('null', '[]', '1', '"x"', 'true', '{', '{"alg":', '\u0000', '{"alg":"ES256"}'),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const payloadObject = fc
  .record(
    {
      iss: fc.oneof(claimValue, fc.constant('tessera')),
      aud: fc.oneof(claimValue, fc.constant('tessera-api'), fc.constant(['tessera-api'])),
      sub: claimValue,
      sid: claimValue,
      jti: claimValue,
      roles: fc.oneof(claimValue, fc.array(claimValue, { maxLength: 3 })),
      iat: claimValue,
      exp: fc.oneof(claimValue, fc.integer({ min: 1_700_000_000, max: 1_900_000_000 })),
      nbf: claimValue,
    },
    { requiredKeys: [] },
  )
  .map((p) => JSON.stringify(p));

/** Tokens from JSON headers and payloads with random signatures. */
const jsonToken = fc
  .tuple(jsonText, fc.oneof(jsonText, payloadObject), fc.oneof(fc.base64String({ maxLength: 120 }).map(toB64url), fc.constant('')))
  .map(([header, payload, signature]) => `${b64url(header)}.${b64url(payload)}.${signature}`);

describe('readHeader never throws anything but TokenError', () => {
  it('arbitrary strings', () => {
    fc.assert(
      fc.property(anyString, (token) => {
        expectReturnsOrTokenError(() => readHeader(token));
      }),
      runs(1000),
    );
  });

  it('base64 segments joined with dots', () => {
    fc.assert(
      fc.property(dottedBase64, (token) => {
        expectReturnsOrTokenError(() => readHeader(token));
      }),
      runs(1000),
    );
  });

  it('JSON headers with random values', () => {
    fc.assert(
      fc.property(jsonToken, (token) => {
        const result = outcome(() => readHeader(token));
        expect(result).toMatch(/^(ok|TokenError)$/);
        // Whatever it returns is an object with a string alg and no key-pointing header.
        if (result === 'ok') {
          const header = readHeader(token);
          expect(typeof header.alg).toBe('string');
          for (const name of ['jwk', 'jku', 'x5u', 'x5c']) expect(Object.hasOwn(header, name)).toBe(false);
        }
      }),
      runs(1000),
    );
  });
});

describe('createAccessTokens(...).verify never throws anything but TokenError', () => {
  it('accepts its own token (sanity)', () => {
    expect(tokens.verify(validToken).sub).toBe('user-1');
  });

  it('arbitrary strings', () => {
    fc.assert(
      fc.property(anyString, (token) => {
        expectReturnsOrTokenError(() => tokens.verify(token));
      }),
      runs(500),
    );
  });

  it('base64 segments joined with dots', () => {
    fc.assert(
      fc.property(dottedBase64, (token) => {
        expectReturnsOrTokenError(() => tokens.verify(token));
      }),
      runs(500),
    );
  });

  it('JSON headers and payloads with random values and signatures', () => {
    fc.assert(
      fc.property(jsonToken, (token) => {
        expectReturnsOrTokenError(() => tokens.verify(token));
      }),
      runs(1000),
    );
  });

  it('mutations of a valid token', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000 }), fc.string({ unit: 'binary', maxLength: 3 }), fc.boolean(), (at, insert, remove) => {
        const i = at % (validToken.length + 1);
        const mutated = `${validToken.slice(0, i)}${insert}${validToken.slice(remove ? i + 1 : i)}`;
        expectReturnsOrTokenError(() => tokens.verify(mutated));
      }),
      runs(500),
    );
  });

  it('accepts a token signed here with jose (so the signed property below reaches past the signature)', async () => {
    const key = createPrivateKey(active.signingKey as string);
    const now = Math.floor(t.clock.now() / 1000);
    const payload = {
      iss: t.config.jwt.issuer,
      aud: t.config.jwt.audience,
      sub: 'u',
      sid: 's',
      jti: 'j',
      roles: [],
      iat: now,
      exp: now + 60,
    };
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: active.alg, typ: 'at+jwt', kid: active.kid })
      .sign(key);
    // jose does not normalise ECDSA signatures; Tessera accepts only the low-S form (canonical tokens).
    expect(tokens.verify(withLowS(token)).sub).toBe('u');
  });

  it('correctly signed tokens with arbitrary headers and payloads (past the signature check)', async () => {
    const key = createPrivateKey(active.signingKey as string);
    await fc.assert(
      fc.asyncProperty(
        headerObject,
        fc.oneof(
          payloadObject,
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
          fc.string({ unit: 'binary', maxLength: 40 }),
        ),
        fc.boolean(),
        async (rawHeader, payload, accessTyp) => {
          // The signature must be real: force the real key and algorithm, keep every other field random
          // (typ forced half the time, so the claims checks are reached).
          const header = { ...resolveKid(rawHeader), alg: active.alg, kid: active.kid, ...(accessTyp ? { typ: 'at+jwt' } : {}) };
          delete (header as Record<string, unknown>).b64;
          delete (header as Record<string, unknown>).crit;
          let token: string;
          try {
            token = withLowS(await new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader(header).sign(key));
          } catch {
            return; // jose refused to sign this header; nothing to verify
          }
          expectReturnsOrTokenError(() => tokens.verify(token));
        },
      ),
      runs(300),
    );
  });
});
