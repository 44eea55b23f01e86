import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, loginAsAdmin, signupAndLogin, uniqueEmail, PASSWORD, type TestApp } from '../helpers/test-app.ts';
import {
  bearer,
  decodeJwt,
  expectBearerError,
  expectProblem,
  unsignedToken,
  withBadSignature,
  withPayload,
} from '../helpers/auth-assertions.ts';

describe('Bearer-protected routes', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const get = (path: string, authorization?: string) => {
    const req = request(t.app).get(path);
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };

  describe('GET /api/auth/me', () => {
    it('returns the user of the token', async () => {
      const email = uniqueEmail();
      const signup = await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD, name: 'Grace' });
      expect(signup.status).toBe(201);
      const login = await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD });
      const res = await get('/api/auth/me', bearer(login.body.accessToken));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: signup.body.user });
      expect(JSON.stringify(res.body)).not.toMatch(/\$argon2|password/i);
    });

    it('answers 401 missing_token without a token', async () => {
      const res = await get('/api/auth/me');
      expectProblem(res, 401, 'missing_token');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    });
  });

  describe('GET /api/protected', () => {
    it('returns a message and the user id and roles', async () => {
      const session = await signupAndLogin(t.app);
      const res = await get('/api/protected', bearer(session.accessToken));
      expect(res.status).toBe(200);
      expect(typeof res.body.message).toBe('string');
      expect(res.body.user).toEqual({ id: session.userId, roles: ['user'] });
    });

    it('accepts the scheme name in any case', async () => {
      const session = await signupAndLogin(t.app);
      expect((await get('/api/protected', `bearer ${session.accessToken}`)).status).toBe(200);
      expect((await get('/api/protected', `BEARER ${session.accessToken}`)).status).toBe(200);
    });

    it('answers 401 missing_token with exactly WWW-Authenticate: Bearer realm="tessera" without Authorization', async () => {
      const res = await get('/api/protected');
      expectProblem(res, 401, 'missing_token');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    });

    it('answers 401 with a Bearer challenge for Authorization: Basic', async () => {
      const res = await get('/api/protected', `Basic ${Buffer.from('user:pass').toString('base64')}`);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(['missing_token', 'invalid_token']).toContain(res.body.code);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="tessera"/);
    });

    it('answers 401 invalid_token for Bearer with an empty token', async () => {
      expectBearerError(await get('/api/protected', 'Bearer '), 'invalid_token');
      expectBearerError(await get('/api/protected', 'Bearer'), 'invalid_token');
    });

    it.each(['garbage', 'a.b.c', 'x.y', 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln'])('answers 401 invalid_token for %j', async (token) => {
      expectBearerError(await get('/api/protected', bearer(token)), 'invalid_token');
    });

    it('answers 401 invalid_token for two tokens in the header', async () => {
      const session = await signupAndLogin(t.app);
      expectBearerError(await get('/api/protected', `Bearer ${session.accessToken} ${session.accessToken}`), 'invalid_token');
    });

    it('answers 401 invalid_token for a tampered payload (roles escalated)', async () => {
      const session = await signupAndLogin(t.app);
      const forged = withPayload(session.accessToken, (p) => ({ ...p, roles: ['user', 'admin'] }));
      expectBearerError(await get('/api/protected', bearer(forged)), 'invalid_token');
      expectBearerError(await get('/api/admin', bearer(forged)), 'invalid_token');
    });

    it('answers 401 invalid_token for a tampered signature', async () => {
      const session = await signupAndLogin(t.app);
      expectBearerError(await get('/api/protected', bearer(withBadSignature(session.accessToken))), 'invalid_token');
    });

    it('answers 401 invalid_token for an unsigned (alg none) token', async () => {
      const session = await signupAndLogin(t.app);
      const { header, payload } = decodeJwt(session.accessToken);
      expectBearerError(await get('/api/protected', bearer(unsignedToken(header, payload))), 'invalid_token');
    });

    it('answers 401 invalid_token for a token issued by another server (other key, other audience)', async () => {
      const session = await signupAndLogin(t.app);
      const other = await createTestApp({ JWT_AUDIENCE: 'another-api' });
      try {
        const foreign = await signupAndLogin(other.app);
        expectBearerError(await get('/api/protected', bearer(foreign.accessToken)), 'invalid_token');
      } finally {
        await other.close();
      }
      expect((await get('/api/protected', bearer(session.accessToken))).status).toBe(200);
    });

    it('answers 401 token_expired once the access token is past exp plus the 5 s leeway', async () => {
      const session = await signupAndLogin(t.app);
      t.clock.advance((15 * 60 + 6) * 1000);
      const res = await get('/api/protected', bearer(session.accessToken));
      expectBearerError(res, 'token_expired');
    });

    it('still accepts the access token within the 5 s leeway', async () => {
      const session = await signupAndLogin(t.app);
      t.clock.advance((15 * 60 + 3) * 1000);
      expect((await get('/api/protected', bearer(session.accessToken))).status).toBe(200);
    });

    it('honours JWT_CLOCK_TOLERANCE', async () => {
      const strict = await createTestApp({ JWT_CLOCK_TOLERANCE: '0s' });
      try {
        const session = await signupAndLogin(strict.app);
        strict.clock.advance((15 * 60 + 1) * 1000);
        const res = await request(strict.app).get('/api/protected').set('Authorization', bearer(session.accessToken));
        expectBearerError(res, 'token_expired');
      } finally {
        await strict.close();
      }
    });
  });

  describe('GET /api/admin', () => {
    it('answers 403 insufficient_role for a user token', async () => {
      const session = await signupAndLogin(t.app);
      const res = await get('/api/admin', bearer(session.accessToken));
      expectProblem(res, 403, 'insufficient_role');
    });

    it('answers 200 with a message for an admin token', async () => {
      const admin = await loginAsAdmin(t);
      const res = await get('/api/admin', bearer(admin.accessToken));
      expect(res.status).toBe(200);
      expect(typeof res.body.message).toBe('string');
    });

    it('answers 401 missing_token without a token', async () => {
      const res = await get('/api/admin');
      expectProblem(res, 401, 'missing_token');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    });

    it('answers 401 token_expired for an expired admin token', async () => {
      const admin = await loginAsAdmin(t);
      t.clock.advance((15 * 60 + 6) * 1000);
      expectBearerError(await get('/api/admin', bearer(admin.accessToken)), 'token_expired');
    });
  });
});
