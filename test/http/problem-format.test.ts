import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import request from 'supertest';
import type { Response, Test } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, loginAsAdmin, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { bodyText, errorLogs, expectNoLeak, expectProblem, expectValidationFailed, LEAK_PATTERNS } from '../helpers/problem-assertions.ts';

/**
 * Every error is an RFC 9457 problem document with exactly type,title,status,detail,code
 * (+errors for validation), status equal to the HTTP status, and nothing internal in any body.
 */

type Session = Awaited<ReturnType<typeof signupAndLogin>>;

let t: TestApp;
let user: Session;
let admin: Awaited<ReturnType<typeof loginAsAdmin>>;
let disabled: Session;

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await createTestApp();
  user = await signupAndLogin(t.app);
  admin = await loginAsAdmin(t);
  disabled = await signupAndLogin(t.app);
  const res = await request(t.app).post(`/api/admin/users/${disabled.userId}/disable`).set(bearer(admin.accessToken));
  expect(res.status).toBe(204);
});

afterAll(async () => {
  await t.close();
});

interface Scenario {
  name: string;
  status: number;
  code: string | string[];
  /** 'realm' = Bearer realm only (missing token); 'error' = with error="invalid_token". */
  challenge?: 'realm' | 'error';
  run: () => Promise<Response> | Test;
}

const SCENARIOS: Scenario[] = [
  { name: 'unknown route', status: 404, code: 'not_found', run: () => request(t.app).get('/no/such/route') },
  { name: 'unknown API route', status: 404, code: 'not_found', run: () => request(t.app).get('/api/nope') },
  { name: 'POST to an unknown route', status: 404, code: 'not_found', run: () => request(t.app).post('/api/auth/nope').send({}) },
  { name: 'wrong method on a known path', status: 405, code: 'method_not_allowed', run: () => request(t.app).get('/api/auth/login') },
  {
    name: 'DELETE /api/auth/me',
    status: 405,
    code: 'method_not_allowed',
    run: () => request(t.app).delete('/api/auth/me').set(bearer(user.accessToken)),
  },
  {
    name: 'signup with an empty body',
    status: 400,
    code: 'validation_failed',
    run: () => request(t.app).post('/api/auth/signup').send({}),
  },
  {
    name: 'signup with a short password',
    status: 400,
    code: 'validation_failed',
    run: () => request(t.app).post('/api/auth/signup').send({ email: uniqueEmail(), password: 'short' }),
  },
  {
    name: 'signup with invalid JSON',
    status: 400,
    code: 'malformed_json',
    run: () => request(t.app).post('/api/auth/signup').set('Content-Type', 'application/json').send('{"email":'),
  },
  {
    name: 'signup over 16 KiB',
    status: 413,
    code: 'payload_too_large',
    run: () =>
      request(t.app)
        .post('/api/auth/signup')
        .send({ email: 'a@example.com', pad: 'x'.repeat(20_000) }),
  },
  {
    name: 'signup as text/plain',
    status: 415,
    code: 'unsupported_media_type',
    run: () => request(t.app).post('/api/auth/signup').set('Content-Type', 'text/plain').send('{}'),
  },
  {
    name: 'signup with a taken email',
    status: 409,
    code: 'email_taken',
    run: () => request(t.app).post('/api/auth/signup').send({ email: user.email, password: PASSWORD }),
  },
  {
    name: 'login with a wrong password',
    status: 401,
    code: 'invalid_credentials',
    run: () => request(t.app).post('/api/auth/login').send({ email: user.email, password: 'wrong password!' }),
  },
  {
    name: 'login with an unknown email',
    status: 401,
    code: 'invalid_credentials',
    run: () =>
      request(t.app)
        .post('/api/auth/login')
        .send({ email: uniqueEmail('ghost'), password: PASSWORD }),
  },
  {
    name: 'login to a disabled account',
    status: 403,
    code: 'account_disabled',
    run: () => request(t.app).post('/api/auth/login').send({ email: disabled.email, password: PASSWORD }),
  },
  { name: 'login with an empty body', status: 400, code: 'validation_failed', run: () => request(t.app).post('/api/auth/login').send({}) },
  {
    name: 'protected route without a token',
    status: 401,
    code: 'missing_token',
    challenge: 'realm',
    run: () => request(t.app).get('/api/protected'),
  },
  {
    name: 'protected route with a garbage token',
    status: 401,
    code: 'invalid_token',
    challenge: 'error',
    run: () => request(t.app).get('/api/protected').set(bearer('garbage.token.here')),
  },
  {
    name: 'protected route with a Basic header',
    status: 401,
    code: ['invalid_token', 'missing_token'],
    run: () => request(t.app).get('/api/protected').set('Authorization', 'Basic dXNlcjpwYXNz'),
  },
  {
    name: 'protected route with a refresh token as Bearer',
    status: 401,
    code: 'invalid_token',
    challenge: 'error',
    run: () => request(t.app).get('/api/protected').set(bearer(user.refreshToken)),
  },
  { name: 'me without a token', status: 401, code: 'missing_token', challenge: 'realm', run: () => request(t.app).get('/api/auth/me') },
  {
    name: 'admin route with a user token',
    status: 403,
    code: 'insufficient_role',
    run: () => request(t.app).get('/api/admin').set(bearer(user.accessToken)),
  },
  {
    name: 'admin users with a user token',
    status: 403,
    code: 'insufficient_role',
    run: () => request(t.app).get('/api/admin/users').set(bearer(user.accessToken)),
  },
  {
    name: 'admin users with a bad limit',
    status: 400,
    code: 'validation_failed',
    run: () => request(t.app).get('/api/admin/users?limit=abc').set(bearer(admin.accessToken)),
  },
  {
    name: 'roles of an unknown user',
    status: 404,
    code: 'not_found',
    run: () =>
      request(t.app)
        .put(`/api/admin/users/${randomUUID()}/roles`)
        .set(bearer(admin.accessToken))
        .send({ roles: ['user'] }),
  },
  {
    name: 'invalid roles',
    status: 400,
    code: 'validation_failed',
    run: () =>
      request(t.app)
        .put(`/api/admin/users/${user.userId}/roles`)
        .set(bearer(admin.accessToken))
        .send({ roles: ['Not A Role'] }),
  },
  {
    name: 'disable an unknown user',
    status: 404,
    code: 'not_found',
    run: () => request(t.app).post(`/api/admin/users/${randomUUID()}/disable`).set(bearer(admin.accessToken)),
  },
  {
    name: 'enable an unknown user',
    status: 404,
    code: 'not_found',
    run: () => request(t.app).post(`/api/admin/users/${randomUUID()}/enable`).set(bearer(admin.accessToken)),
  },
  {
    name: 'refresh with garbage',
    status: 401,
    code: 'invalid_token',
    run: () => request(t.app).post('/api/auth/refresh').send({ refreshToken: 'garbage' }),
  },
  { name: 'refresh with nothing', status: 401, code: 'missing_token', run: () => request(t.app).post('/api/auth/refresh').send({}) },
  {
    name: 'refresh with an access token',
    status: 401,
    code: 'invalid_token',
    run: () => request(t.app).post('/api/auth/refresh').send({ refreshToken: user.accessToken }),
  },
  {
    name: 'refresh with a wrongly typed token',
    status: 400,
    code: 'validation_failed',
    run: () => request(t.app).post('/api/auth/refresh').send({ refreshToken: 42 }),
  },
  {
    name: 'refresh by cookie without the CSRF header',
    status: 403,
    code: 'csrf_failed',
    run: () =>
      request(t.app)
        .post('/api/auth/refresh')
        .set('Cookie', user.cookies.map((c) => c.split(';')[0]!).join('; ')),
  },
  {
    name: 'delete a session that is not the user’s',
    status: 404,
    code: 'not_found',
    run: () => request(t.app).delete(`/api/auth/sessions/${randomUUID()}`).set(bearer(user.accessToken)),
  },
  {
    name: 'sessions without a token',
    status: 401,
    code: 'missing_token',
    challenge: 'realm',
    run: () => request(t.app).get('/api/auth/sessions'),
  },
  {
    name: 'password change with a wrong current password',
    status: 401,
    code: 'invalid_credentials',
    run: () =>
      request(t.app)
        .post('/api/auth/password')
        .set(bearer(user.accessToken))
        .send({ currentPassword: 'not it at all', newPassword: 'a brand new password' }),
  },
  {
    name: 'password change with a too-short new password',
    status: 400,
    code: 'validation_failed',
    run: () =>
      request(t.app).post('/api/auth/password').set(bearer(user.accessToken)).send({ currentPassword: PASSWORD, newPassword: 'short' }),
  },
  {
    name: 'password change without a token',
    status: 401,
    code: 'missing_token',
    challenge: 'realm',
    run: () => request(t.app).post('/api/auth/password').send({ currentPassword: PASSWORD, newPassword: 'a brand new password' }),
  },
  {
    name: 'logout-all without a token',
    status: 401,
    code: 'missing_token',
    challenge: 'realm',
    run: () => request(t.app).post('/api/auth/logout-all'),
  },
];

describe('problem documents', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    const res = await scenario.run();
    if (scenario.code === 'validation_failed') expectValidationFailed(res);
    else expectProblem(res, scenario.status, scenario.code);
    expect(res.status).toBe(scenario.status);
    if (scenario.challenge === 'realm') expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    if (scenario.challenge === 'error') expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="tessera", error="invalid_token"/);
  });

  it('a revoked access token gets 401 token_revoked as a problem document', async () => {
    const s = await signupAndLogin(t.app);
    const out = await request(t.app).post('/api/auth/logout').set(bearer(s.accessToken)).send({ refreshToken: s.refreshToken });
    expect(out.status).toBe(204);
    const res = await request(t.app).get('/api/protected').set(bearer(s.accessToken));
    expectProblem(res, 401, 'token_revoked');
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('a reused refresh token gets 401 refresh_reused as a problem document', async () => {
    const s = await signupAndLogin(t.app);
    const first = await request(t.app).post('/api/auth/refresh').send({ refreshToken: s.refreshToken });
    expect(first.status).toBe(200);
    const reuse = await request(t.app).post('/api/auth/refresh').send({ refreshToken: s.refreshToken });
    expectProblem(reuse, 401, 'refresh_reused');
  });

  it('validation errors list {path, message} for each bad field', async () => {
    const res = await request(t.app).post('/api/auth/signup').send({ email: 'not-an-email', password: 'short' });
    expectValidationFailed(res, ['email', 'password']);
  });

  it('only validation failures carry `errors`', async () => {
    for (const scenario of SCENARIOS.filter((s) => s.code !== 'validation_failed')) {
      const res = await scenario.run();
      expect(res.body, scenario.name).not.toHaveProperty('errors');
    }
  });
});

describe('problem documents from separate apps', () => {
  it('an expired access token gets 401 token_expired', async () => {
    const app = await createTestApp();
    try {
      const s = await signupAndLogin(app.app);
      app.clock.advance(60 * 60 * 1000);
      const res = await request(app.app).get('/api/protected').set(bearer(s.accessToken));
      expectProblem(res, 401, 'token_expired');
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    } finally {
      await app.close();
    }
  });

  it('rate limiting gets 429 rate_limited with Retry-After', async () => {
    const app = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '2' });
    try {
      const email = uniqueEmail('limited');
      let res: Response | undefined;
      for (let i = 0; i < 5; i++) {
        res = await request(app.app).post('/api/auth/login').send({ email, password: 'wrong password' });
        if (res.status === 429) break;
      }
      expectProblem(res!, 429, 'rate_limited');
      expect(Number(res!.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });

  it('an internal failure is a bare 500 internal_error with no SQL, driver name or stack', async () => {
    const app = await createTestApp();
    try {
      const s = await signupAndLogin(app.app);
      // Break the database under the app: every users query now fails inside the driver.
      await sql`alter table users rename to users_gone`.execute(app.runtime.database.db);
      const responses = [
        await request(app.app)
          .post('/api/auth/signup')
          .send({ email: uniqueEmail('broken'), password: PASSWORD }),
        await request(app.app).post('/api/auth/login').send({ email: s.email, password: PASSWORD }),
        await request(app.app).get('/api/auth/me').set(bearer(s.accessToken)),
      ];
      for (const res of responses) {
        expectProblem(res, 500, 'internal_error');
        expect(bodyText(res)).not.toMatch(/users_gone|no such table|users/i);
        expect(res.headers['x-powered-by']).toBeUndefined();
        expect(res.headers['x-content-type-options']).toBe('nosniff');
      }
      // The cause is logged for operators, not sent to the client.
      expect(errorLogs(app.logs).some((line) => /users/.test(line))).toBe(true);
    } finally {
      await app.close();
    }
  });
});

describe('no internals in any body', () => {
  it('success bodies contain no stack trace, SQL or library names', async () => {
    const s = await signupAndLogin(t.app);
    const auth = bearer(s.accessToken);
    const responses = [
      await request(t.app).get('/healthz'),
      await request(t.app).get('/readyz'),
      await request(t.app).get('/.well-known/jwks.json'),
      await request(t.app).get('/openapi.json'),
      await request(t.app).get('/metrics'),
      await request(t.app).get('/api/auth/me').set(auth),
      await request(t.app).get('/api/auth/sessions').set(auth),
      await request(t.app).get('/api/protected').set(auth),
      await request(t.app).get('/api/admin').set(bearer(admin.accessToken)),
      await request(t.app).get('/api/admin/users').set(bearer(admin.accessToken)),
      await request(t.app).post('/api/auth/login').send({ email: s.email, password: PASSWORD }),
      await request(t.app).post('/api/auth/refresh').send({ refreshToken: s.refreshToken }),
    ];
    for (const res of responses) {
      expect(res.status).toBeLessThan(300);
      expectNoLeak(res);
    }
  });

  it('error bodies never contain a stack trace, SQL or library names', async () => {
    for (const scenario of SCENARIOS) {
      const res = await scenario.run();
      const text = bodyText(res);
      for (const pattern of LEAK_PATTERNS) expect(text, `${scenario.name} leaks ${pattern}`).not.toMatch(pattern);
      expect(text).not.toContain(PASSWORD);
    }
  });
});

describe('response headers', () => {
  const paths: [string, () => Test][] = [
    ['GET /healthz', () => request(t.app).get('/healthz')],
    ['GET /unknown (404)', () => request(t.app).get('/unknown')],
    ['POST /api/auth/login (401)', () => request(t.app).post('/api/auth/login').send({ email: 'x@example.com', password: 'nope nope' })],
    ['POST /api/auth/signup (415)', () => request(t.app).post('/api/auth/signup').set('Content-Type', 'text/plain').send('x')],
    ['GET /api/protected (401)', () => request(t.app).get('/api/protected')],
    ['GET /.well-known/jwks.json', () => request(t.app).get('/.well-known/jwks.json')],
    ['GET /openapi.json', () => request(t.app).get('/openapi.json')],
  ];

  it.each(paths)('%s: no X-Powered-By, helmet headers present', async (_name, run) => {
    const res = await run();
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['x-frame-options']).toBeDefined();
  });
});
