import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, loginAsAdmin, signupAndLogin, type TestApp } from '../helpers/test-app.ts';
import {
  bearer,
  decodeJwt,
  expectBearerError,
  expectProblem,
  SEVEN_DAYS_MS,
  unsignedToken,
  withBadSignature,
  withPayload,
} from '../helpers/auth-assertions.ts';

describe('POST /api/auth/refresh (body transport)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ REFRESH_TOKEN_TRANSPORT: 'body' });
  });
  afterEach(() => t.close());

  const refresh = (refreshToken: unknown) => request(t.app).post('/api/auth/refresh').send({ refreshToken });
  const hitProtected = (accessToken: string) => request(t.app).get('/api/protected').set('Authorization', bearer(accessToken));

  describe('rotation', () => {
    it('returns a new access token and a new refresh token for the same session', async () => {
      const session = await signupAndLogin(t.app);
      t.clock.advance(1000);
      const res = await refresh(session.refreshToken);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toMatch(/no-store/);
      expect(res.body.tokenType).toBe('Bearer');
      expect(res.body.expiresIn).toBe(900);
      expect(typeof res.body.refreshExpiresIn).toBe('number');
      expect(res.body.user.id).toBe(session.userId);
      expect(res.body.accessToken).not.toBe(session.accessToken);
      expect(res.body.refreshToken).not.toBe(session.refreshToken);

      const before = decodeJwt(session.accessToken).payload;
      const after = decodeJwt(res.body.accessToken).payload;
      expect(after.sid).toBe(before.sid);
      expect(after.jti).not.toBe(before.jti);
      expect(after.sub).toBe(session.userId);
      expect(after.iat).toBe(Math.floor(t.clock.now() / 1000));

      expect((await hitProtected(res.body.accessToken)).status).toBe(200);
    });

    it('rotates again with the new token, many times over', async () => {
      const session = await signupAndLogin(t.app);
      let token = session.refreshToken;
      for (let i = 0; i < 5; i++) {
        t.clock.advance(60_000);
        const res = await refresh(token);
        expect(res.status).toBe(200);
        token = res.body.refreshToken;
      }
    });

    it('rotates in the same millisecond too (the tokens still differ)', async () => {
      const session = await signupAndLogin(t.app);
      const first = await refresh(session.refreshToken);
      expect(first.status).toBe(200);
      expect(first.body.refreshToken).not.toBe(session.refreshToken);
      const second = await refresh(first.body.refreshToken);
      expect(second.status).toBe(200);
    });
  });

  describe('reuse detection', () => {
    it('answers refresh_reused for a rotated token and ends the whole session', async () => {
      const session = await signupAndLogin(t.app);
      const rotated = await refresh(session.refreshToken);
      expect(rotated.status).toBe(200);

      const reused = await refresh(session.refreshToken);
      expectProblem(reused, 401, 'refresh_reused');

      // The newest refresh token of that family stops working too.
      const newest = await refresh(rotated.body.refreshToken);
      expect(newest.status).toBe(401);
      expect(['invalid_token', 'refresh_reused']).toContain(newest.body.code);

      // And the session's access tokens are revoked.
      expectBearerError(await hitProtected(session.accessToken), 'token_revoked');
      expectBearerError(await hitProtected(rotated.body.accessToken), 'token_revoked');
    });

    it('does not touch the other sessions of the user', async () => {
      const a = await signupAndLogin(t.app);
      const b = await request(t.app).post('/api/auth/login').send({ email: a.email, password: a.password });
      expect(b.status).toBe(200);

      expect((await refresh(a.refreshToken)).status).toBe(200);
      expectProblem(await refresh(a.refreshToken), 401, 'refresh_reused');

      expect((await hitProtected(b.body.accessToken)).status).toBe(200);
      expect((await refresh(b.body.refreshToken)).status).toBe(200);
    });

    it('lets exactly one of 10 concurrent refreshes with one token succeed', async () => {
      const session = await signupAndLogin(t.app);
      const results = await Promise.all(Array.from({ length: 10 }, () => refresh(session.refreshToken)));
      const ok = results.filter((r) => r.status === 200);
      expect(ok).toHaveLength(1);
      for (const r of results.filter((r) => r.status !== 200)) {
        expect(r.status).toBe(401);
        expect(['refresh_reused', 'invalid_token']).toContain(r.body.code);
      }
    });
  });

  describe('bad tokens', () => {
    it('answers 401 missing_token without any token', async () => {
      expectProblem(await request(t.app).post('/api/auth/refresh').send({}), 401, 'missing_token');
      expectProblem(await request(t.app).post('/api/auth/refresh'), 401, 'missing_token');
    });

    it.each(['garbage', 'a.b.c', 'not.a.jwt.at.all', '...', 'eyJhbGciOiJIUzI1NiJ9.e30.'])(
      'answers 401 invalid_token for garbage %j',
      async (token) => {
        expectProblem(await refresh(token), 401, 'invalid_token');
      },
    );

    it('answers 401 invalid_token for a token with a tampered payload', async () => {
      const session = await signupAndLogin(t.app);
      const other = await signupAndLogin(t.app);
      const tampered = withPayload(session.refreshToken, (p) => ({ ...p, sub: other.userId }));
      expectProblem(await refresh(tampered), 401, 'invalid_token');
      const longer = withPayload(session.refreshToken, (p) => ({ ...p, exp: (p.exp as number) + 365 * 86400 }));
      expectProblem(await refresh(longer), 401, 'invalid_token');
      // The real token still works: nothing was consumed.
      expect((await refresh(session.refreshToken)).status).toBe(200);
    });

    it('answers 401 invalid_token for a token with a tampered signature', async () => {
      const session = await signupAndLogin(t.app);
      expectProblem(await refresh(withBadSignature(session.refreshToken)), 401, 'invalid_token');
      expectProblem(await refresh(session.refreshToken.split('.').slice(0, 2).join('.') + '.'), 401, 'invalid_token');
      expect((await refresh(session.refreshToken)).status).toBe(200);
    });

    it('answers 401 invalid_token for an unsigned (alg none) token', async () => {
      const session = await signupAndLogin(t.app);
      const { header, payload } = decodeJwt(session.refreshToken);
      expectProblem(await refresh(unsignedToken(header, payload)), 401, 'invalid_token');
    });

    it('answers 401 invalid_token for a refresh token from another server', async () => {
      const other = await createTestApp({ REFRESH_TOKEN_TRANSPORT: 'body' });
      try {
        const foreign = await signupAndLogin(other.app);
        expectProblem(await refresh(foreign.refreshToken), 401, 'invalid_token');
      } finally {
        await other.close();
      }
    });

    it('never accepts an access token as a refresh token', async () => {
      const session = await signupAndLogin(t.app);
      expectProblem(await refresh(session.accessToken), 401, 'invalid_token');
    });

    it('never accepts a refresh token as a Bearer access token', async () => {
      const session = await signupAndLogin(t.app);
      const res = await hitProtected(session.refreshToken);
      expectBearerError(res, 'invalid_token');
    });
  });

  describe('expiry', () => {
    it('answers 401 token_expired once the refresh token is older than 7 days', async () => {
      const session = await signupAndLogin(t.app);
      t.clock.advance(SEVEN_DAYS_MS + 10_000);
      expectProblem(await refresh(session.refreshToken), 401, 'token_expired');
    });

    it('still rotates just before the 7 days are up', async () => {
      const session = await signupAndLogin(t.app);
      t.clock.advance(SEVEN_DAYS_MS - 60_000);
      expect((await refresh(session.refreshToken)).status).toBe(200);
    });

    it('honours JWT_REFRESH_EXPIRES_IN', async () => {
      const short = await createTestApp({ REFRESH_TOKEN_TRANSPORT: 'body', JWT_REFRESH_EXPIRES_IN: '1h' });
      try {
        const session = await signupAndLogin(short.app);
        expect(session.body.refreshExpiresIn).toBe(3600);
        short.clock.advance(3600_000 + 10_000);
        const res = await request(short.app).post('/api/auth/refresh').send({ refreshToken: session.refreshToken });
        expectProblem(res, 401, 'token_expired');
      } finally {
        await short.close();
      }
    });
  });

  describe('roles', () => {
    it('puts roles changed by an admin into the next refreshed access token', async () => {
      const session = await signupAndLogin(t.app);
      const admin = await loginAsAdmin(t);
      const put = await request(t.app)
        .put(`/api/admin/users/${session.userId}/roles`)
        .set('Authorization', bearer(admin.accessToken))
        .send({ roles: ['user', 'editor'] });
      expect(put.status).toBe(200);
      expect(put.body.user.roles).toEqual(['user', 'editor']);

      const res = await refresh(session.refreshToken);
      expect(res.status).toBe(200);
      expect(decodeJwt(res.body.accessToken).payload.roles).toEqual(['user', 'editor']);
      expect(res.body.user.roles).toEqual(['user', 'editor']);
      const prot = await hitProtected(res.body.accessToken);
      expect(prot.status).toBe(200);
      expect(prot.body.user.roles).toEqual(['user', 'editor']);
    });

    it('grants admin access after a promotion and a refresh', async () => {
      const session = await signupAndLogin(t.app);
      const admin = await loginAsAdmin(t);
      expectProblem(await request(t.app).get('/api/admin').set('Authorization', bearer(session.accessToken)), 403, 'insufficient_role');
      await request(t.app)
        .put(`/api/admin/users/${session.userId}/roles`)
        .set('Authorization', bearer(admin.accessToken))
        .send({ roles: ['user', 'admin'] })
        .expect(200);
      const res = await refresh(session.refreshToken);
      expect(res.status).toBe(200);
      expect((await request(t.app).get('/api/admin').set('Authorization', bearer(res.body.accessToken))).status).toBe(200);
    });
  });

  describe('disabled account', () => {
    it('ends the session: refresh is refused', async () => {
      const session = await signupAndLogin(t.app);
      const admin = await loginAsAdmin(t);
      await request(t.app).post(`/api/admin/users/${session.userId}/disable`).set('Authorization', bearer(admin.accessToken)).expect(204);
      expectProblem(await refresh(session.refreshToken), 401, 'invalid_token');
      expectBearerError(await hitProtected(session.accessToken), 'token_revoked');
    });
  });
});

describe('POST /api/auth/refresh with the default transport', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('takes the refresh token from the body (no CSRF header needed) and sets new cookies', async () => {
    const session = await signupAndLogin(t.app);
    const res = await request(t.app).post('/api/auth/refresh').send({ refreshToken: session.refreshToken });
    expect(res.status).toBe(200);
    expect(typeof res.body.refreshToken).toBe('string');
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    expect(cookies.some((c) => c.startsWith(`refresh_token=${res.body.refreshToken}`))).toBe(true);
  });
});
