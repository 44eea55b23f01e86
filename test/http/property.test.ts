import fc from 'fast-check';
import request from 'supertest';
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { errorLogs, expectHandled, expectProblem } from '../helpers/problem-assertions.ts';

/**
 * Property tests: whatever JSON a client posts, the server answers < 500 with a problem
 * document for errors; whatever string it presents as a token, the answer is 401.
 */

let t: TestApp;
let session: Awaited<ReturnType<typeof signupAndLogin>>;

beforeAll(async () => {
  t = await createTestApp();
  session = await signupAndLogin(t.app);
});

afterAll(async () => {
  await t.close();
});

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const runs = (numRuns: number) => ({ numRuns, seed });

const b64url = (value: string) => Buffer.from(value).toString('base64url');

/** Any JSON text: fc.jsonValue, plus fc.anything mapped through JSON.stringify. */
const anyJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc
    .anything({ maxDepth: 3, withObjectString: true, withNullPrototype: true })
    .map((v) => JSON.stringify(v) as string | undefined)
    .filter((s): s is string => typeof s === 'string'),
);

/** Objects with the endpoints' field names (and prototype keys) holding arbitrary JSON. */
const fieldy = (fields: string[]): fc.Arbitrary<string> =>
  fc
    .dictionary(
      fc.constantFrom(...fields, '__proto__', 'constructor', 'prototype', 'toString', 'roles', 'hasOwnProperty'),
      fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.emailAddress()),
      { maxKeys: 6 },
    )
    .map((o) => JSON.stringify(o));

const postJson = (path: string, raw: string): Promise<Response> =>
  request(t.app).post(path).set('Content-Type', 'application/json').send(raw);

/**
 * Known-hostile bodies every run tries first (NUL characters reach the database as text,
 * which PostgreSQL refuses), so a failure does not depend on the random seed.
 */
const EXAMPLES: [string][] = [
  ['{"email":"\\u0000","password":"\\u0000"}'],
  ['{"email":"nul-name@example.com","password":"correct horse battery staple","name":"a\\u0000b"}'],
  ['{"refreshToken":"\\u0000"}'],
  ['{"__proto__":{"email":"a@example.com"}}'],
];

const handledProperty = (path: string, arb: fc.Arbitrary<string>, numRuns: number) =>
  fc.assert(
    fc.asyncProperty(arb, async (raw) => {
      const res = await postJson(path, raw);
      expectHandled(res);
      if (res.status >= 400) expectProblem(res);
    }),
    { ...runs(numRuns), examples: EXAMPLES },
  );

describe('arbitrary JSON bodies never produce a 5xx', () => {
  // Signup hashes a password for every valid body, so it gets fewer runs.
  it('POST /api/auth/signup: arbitrary JSON', () => handledProperty('/api/auth/signup', anyJsonText, 100));
  it('POST /api/auth/signup: objects with its field names', () =>
    handledProperty('/api/auth/signup', fieldy(['email', 'password', 'name']), 60));
  it('POST /api/auth/signup: well-typed records', () =>
    handledProperty(
      '/api/auth/signup',
      fc
        .record(
          {
            email: fc.oneof(
              fc.emailAddress(),
              fc.string({ unit: 'binary', maxLength: 60 }).map((s) => `${s}@example.com`),
            ),
            password: fc.string({ unit: 'binary', minLength: 0, maxLength: 140 }),
            name: fc.string({ unit: 'grapheme', maxLength: 120 }),
          },
          { requiredKeys: ['email', 'password'] },
        )
        .map((o) => JSON.stringify(o)),
      50,
    ));

  it('POST /api/auth/login: arbitrary JSON', () => handledProperty('/api/auth/login', anyJsonText, 150));
  it('POST /api/auth/login: objects with its field names', () => handledProperty('/api/auth/login', fieldy(['email', 'password']), 100));

  it('POST /api/auth/refresh: arbitrary JSON', () => handledProperty('/api/auth/refresh', anyJsonText, 150));
  it('POST /api/auth/refresh: objects with its field names', () => handledProperty('/api/auth/refresh', fieldy(['refreshToken']), 100));

  it('POST /api/auth/logout: arbitrary JSON', () => handledProperty('/api/auth/logout', anyJsonText, 150));
  it('POST /api/auth/logout: objects with its field names', () => handledProperty('/api/auth/logout', fieldy(['refreshToken']), 100));

  it('does not pollute Object.prototype', () => {
    const probe = {} as Record<string, unknown>;
    for (const key of ['polluted', 'roles', 'email', 'password', 'refreshToken', 'name']) {
      expect(Object.prototype).not.toHaveProperty(key);
      expect(probe[key]).toBeUndefined();
    }
  });
});

/** Header-safe token text: visible ASCII and spaces (what an HTTP client can send). */
const headerSafe = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 400 });

/** JWT-shaped garbage: base64url(header).base64url(payload).signature with hostile contents. */
const jwtShaped: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      fc.record(
        {
          alg: fc.oneof(fc.constantFrom('none', 'None', 'HS256', 'HS512', 'ES256', 'RS256', 'PS256', 'EdDSA', ''), fc.string()),
          typ: fc.oneof(fc.constantFrom('at+jwt', 'refresh+jwt', 'JWT'), fc.string()),
          kid: fc.oneof(fc.string(), fc.constantFrom('../../etc/passwd', "' OR 1=1 --", '')),
          jku: fc.webUrl(),
          crit: fc.array(fc.string(), { maxLength: 2 }),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    fc.oneof(
      fc.record(
        {
          sub: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
          roles: fc.oneof(fc.constant(['admin']), fc.jsonValue({ maxDepth: 1 })),
          iss: fc.constantFrom('tessera', 'evil'),
          aud: fc.constantFrom('tessera-api', 'x'),
          exp: fc.oneof(fc.integer(), fc.double(), fc.string()),
          iat: fc.oneof(fc.integer(), fc.string()),
          jti: fc.string(),
          sid: fc.string(),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    fc.oneof(
      fc.constant(''),
      fc.base64String({ maxLength: 120 }).map((s) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')),
    ),
  )
  .map(([header, payload, signature]) => `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${signature}`);

/**
 * One character of a real token changed. The last character of the signature is never
 * touched: its low bits may be base64 padding, so changing it might not change the token.
 */
const mutated = (token: () => string) =>
  fc.tuple(fc.nat(), fc.integer({ min: 0x21, max: 0x7e })).map(([i, code]) => {
    const real = token();
    const positions = [...real].map((c, index) => index).filter((index) => real[index] !== '.' && index !== real.length - 1);
    const at = positions[i % positions.length]!;
    const replacement = String.fromCharCode(code) === real[at] ? (real[at] === 'A' ? 'B' : 'A') : String.fromCharCode(code);
    return real.slice(0, at) + replacement + real.slice(at + 1);
  });

/** Real-token pieces reassembled wrongly (segments dropped, swapped, duplicated). */
const recombined = (token: () => string) =>
  fc.constantFrom(0, 1, 2, 3, 4, 5).map((variant) => {
    const [h, p, s] = token().split('.') as [string, string, string];
    return [
      `${h}.${p}.`,
      `${h}.${p}`,
      `${p}.${h}.${s}`,
      `${h}.${p}.${s}.${s}`,
      `${h}..${s}`,
      `${b64url('{"alg":"none","typ":"at+jwt"}')}.${p}.`,
    ][variant]!;
  });

describe('arbitrary Bearer tokens are always 401', () => {
  const expectBearer401 = async (token: string) => {
    const res = await request(t.app).get('/api/protected').set('Authorization', `Bearer ${token}`);
    expectProblem(res, 401, ['invalid_token', 'missing_token']);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="tessera"/);
  };

  it('header-safe strings', () => fc.assert(fc.asyncProperty(headerSafe, expectBearer401), runs(200)));
  it('JWT-shaped garbage (alg none, odd kids, hostile claims)', () => fc.assert(fc.asyncProperty(jwtShaped, expectBearer401), runs(200)));
  it('a real access token with one character changed', () =>
    fc.assert(
      fc.asyncProperty(
        mutated(() => session.accessToken),
        expectBearer401,
      ),
      runs(150),
    ));
  it('a real access token taken apart', () =>
    fc.assert(
      fc.asyncProperty(
        recombined(() => session.accessToken),
        expectBearer401,
      ),
      runs(30),
    ));
  it('the refresh token as a Bearer token', () => expectBearer401(session.refreshToken));

  it('arbitrary Authorization headers (any scheme) are 401 on /api/protected', () =>
    fc.assert(
      fc.asyncProperty(headerSafe, async (header) => {
        const res = await request(t.app).get('/api/protected').set('Authorization', header);
        expectProblem(res, 401, ['invalid_token', 'missing_token']);
      }),
      runs(100),
    ));
});

describe('arbitrary refresh tokens are always 401', () => {
  const expectRefresh401 = async (token: string) => {
    const res = await request(t.app).post('/api/auth/refresh').send({ refreshToken: token });
    expectProblem(res, 401, 'invalid_token');
  };

  it('any non-empty string (without NUL) up to 8192 characters', () =>
    fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 500 }).filter((s) => !s.includes('\u0000')),
        expectRefresh401,
      ),
      runs(200),
    ));
  it('a string with a NUL is 401 or a 400 validation failure, never a 5xx', () =>
    fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 100 }), async (a, b) => {
        const res = await request(t.app)
          .post('/api/auth/refresh')
          .send({ refreshToken: `${a}\u0000${b}` });
        expectProblem(res, [400, 401], ['invalid_token', 'validation_failed']);
      }),
      runs(50),
    ));
  it('JWT-shaped garbage', () => fc.assert(fc.asyncProperty(jwtShaped, expectRefresh401), runs(200)));
  it('a real refresh token with one character changed', () =>
    fc.assert(
      fc.asyncProperty(
        mutated(() => session.refreshToken),
        expectRefresh401,
      ),
      runs(150),
    ));
  it('a real refresh token taken apart', () =>
    fc.assert(
      fc.asyncProperty(
        recombined(() => session.refreshToken),
        expectRefresh401,
      ),
      runs(30),
    ));
  it('an access token as a refresh token', () => expectRefresh401(session.accessToken));

  it('arbitrary refresh_token cookies never give a 5xx (401, or 403 csrf_failed)', () =>
    fc.assert(
      fc.asyncProperty(
        fc.oneof(
          headerSafe.map((s) => s.replace(/[;,\s"\\]/g, '')).filter((s) => s.length > 0),
          jwtShaped,
        ),
        async (cookie) => {
          const res = await request(t.app)
            .post('/api/auth/refresh')
            .set('Cookie', `refresh_token=${cookie}; csrf_token=x`)
            .set('X-CSRF-Token', 'x');
          expectProblem(res, [401, 403], ['invalid_token', 'missing_token', 'csrf_failed']);
        },
      ),
      runs(100),
    ));

  it('the real session survives all of it', async () => {
    const res = await request(t.app).post('/api/auth/refresh').send({ refreshToken: session.refreshToken });
    expect(res.status).toBe(200);
    const login = await request(t.app).post('/api/auth/login').send({ email: session.email, password: PASSWORD });
    expect(login.status).toBe(200);
    const fresh = await request(t.app)
      .post('/api/auth/signup')
      .send({ email: uniqueEmail('after-props'), password: PASSWORD });
    expect(fresh.status).toBe(201);
  });

  it('nothing was logged as an unhandled error', () => {
    expect(errorLogs(t.logs)).toEqual([]);
  });
});
