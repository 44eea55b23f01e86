import express from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problemHandler, requireAmr, requireAuth, requireRole } from '../../src/express/index.ts';
import { fakeClock } from '../helpers/clock.ts';
import { decodeHeader, decodePayload, signHmac, without } from '../helpers/jwt-forge.ts';
import { listen } from '../helpers/listen.ts';
import { expectProblem } from '../helpers/problem-assertions.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';
import { currentCode, enrolledUser, mfaLogin } from './mfa-helpers.ts';

const SECRET = 'a shared HMAC secret of at least 32 bytes';

/** A resource server with the library: one route per way of asking for a second factor. */
function resourceServer(t: TestApp, auth: Parameters<typeof requireAuth>[0]) {
  const api = express();
  const plain = requireAuth(auth);
  api.get('/open', plain, (req, res) => res.json({ amr: req.auth?.amr ?? null }));
  api.get('/by-middleware', plain, requireAmr('otp'), (_req, res) => res.json({ ok: true }));
  api.get('/by-option', requireAuth({ ...auth, amr: ['otp'] }), (_req, res) => res.json({ ok: true }));
  api.get('/pwd-and-otp', plain, requireAmr('pwd', 'otp'), (_req, res) => res.json({ ok: true }));
  api.get('/admin-with-otp', requireAuth({ ...auth, amr: ['otp'] }), requireRole('admin'), (_req, res) => res.json({ ok: true }));
  api.get('/no-auth', requireAmr('otp'), (_req, res) => res.json({ ok: true }));
  api.use(problemHandler());
  return api;
}

const get = (api: express.Express, path: string, token: string) => request(api).get(path).set('Authorization', `Bearer ${token}`);

function expectMfaRequired(res: request.Response) {
  expectProblem(res, 403, 'mfa_required');
  expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="insufficient_user_authentication"');
}

describe('requireAmr / requireAuth({ amr }) in tessera-auth/express (shared secret)', () => {
  let t: TestApp;
  let api: express.Express;
  beforeEach(async () => {
    t = await createTestApp({ JWT_SECRET: SECRET });
    api = resourceServer(t, { secret: SECRET, issuer: t.config.jwt.issuer, audience: 'tessera-api', clock: t.clock });
  });
  afterEach(() => t.close());

  it('refuses a password-only token with 403 mfa_required, and lets a token from an MFA login through', async () => {
    const plain = await signupAndLogin(t.app);
    expect((await get(api, '/open', plain.accessToken)).body).toEqual({ amr: ['pwd'] });
    for (const path of ['/by-middleware', '/by-option', '/pwd-and-otp']) expectMfaRequired(await get(api, path, plain.accessToken));

    const user = await enrolledUser(t);
    const mfa = await mfaLogin(t.app, user.email, currentCode(user.secret, t.clock));
    expect((await get(api, '/open', mfa.body.accessToken)).body).toEqual({ amr: ['pwd', 'otp'] });
    for (const path of ['/by-middleware', '/by-option', '/pwd-and-otp']) {
      const res = await get(api, path, mfa.body.accessToken);
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(200);
    }
    // amr comes before roles: an MFA token without the role is insufficient_role.
    expectProblem(await get(api, '/admin-with-otp', mfa.body.accessToken), 403, 'insufficient_role');
    expectMfaRequired(await get(api, '/admin-with-otp', plain.accessToken));
  });

  it('keeps its other answers: no token is 401 missing_token, a bad one 401 invalid_token, before any amr check', async () => {
    expectProblem(await request(api).get('/by-option'), 401, 'missing_token');
    expectProblem(await request(api).get('/no-auth'), 401, 'missing_token');
    const res = await get(api, '/by-option', 'not.a.token');
    expectProblem(res, 401, 'invalid_token');
  });

  it('a token without amr (issued before it existed) still verifies, and is treated as proving nothing', async () => {
    const plain = await signupAndLogin(t.app);
    const old = signHmac(decodeHeader(plain.accessToken), without(decodePayload(plain.accessToken), 'amr'), SECRET);
    expect((await get(api, '/open', old)).body).toEqual({ amr: null });
    expectMfaRequired(await get(api, '/by-option', old));
    // A malformed amr is a bad token, as for roles.
    const bad = signHmac(decodeHeader(plain.accessToken), { ...decodePayload(plain.accessToken), amr: 'otp' }, SECRET);
    expectProblem(await get(api, '/open', bad), 401, 'invalid_token');
  });

  it('requireAmr() with no method is a mistake at start-up', () => {
    expect(() => requireAmr()).toThrow(TypeError);
  });
});

describe('requireAuth({ amr }) over the JWKS (ES256)', () => {
  it('refuses a password-only token and passes an otp one', async () => {
    const t = await createTestApp({}, { clock: fakeClock(Date.now()) });
    const server = await listen(t.app);
    try {
      const api = resourceServer(t, {
        jwksUrl: `${server.url}/.well-known/jwks.json`,
        issuer: t.config.jwt.issuer,
        audience: 'tessera-api',
      });
      const plain = await signupAndLogin(t.app);
      expectMfaRequired(await get(api, '/by-option', plain.accessToken));
      const user = await enrolledUser(t);
      const mfa = await mfaLogin(t.app, user.email, currentCode(user.secret, t.clock));
      expect((await get(api, '/by-option', mfa.body.accessToken)).status).toBe(200);
    } finally {
      await server.close();
      await t.close();
    }
  });
});
