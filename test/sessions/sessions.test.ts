import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, signupAndLogin, PASSWORD, type TestApp } from '../helpers/test-app.ts';
import { sidOf } from '../helpers/cookies.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

async function login(t: TestApp, email: string, password = PASSWORD, userAgent = 'vitest-agent/1.0') {
  const res = await request(t.app).post('/api/auth/login').set('User-Agent', userAgent).send({ email, password });
  expect(res.status).toBe(200);
  return { accessToken: res.body.accessToken as string, refreshToken: res.body.refreshToken as string };
}

const bearer = (token: string) => `Bearer ${token}`;
const protectedWith = (t: TestApp, token: string) => request(t.app).get('/api/protected').set('Authorization', bearer(token));
const refreshWith = (t: TestApp, refreshToken: string) => request(t.app).post('/api/auth/refresh').send({ refreshToken });
const listSessions = (t: TestApp, token: string) => request(t.app).get('/api/auth/sessions').set('Authorization', bearer(token));

function expectRevoked(res: request.Response) {
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('token_revoked');
  expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
}

describe('GET /api/auth/sessions', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('lists the live sessions with their fields; exactly the session of the token used is current', async () => {
    const first = await signupAndLogin(t.app);
    t.clock.advance(MINUTE);
    const second = await login(t, first.email, PASSWORD, 'second-agent/2.0');
    const other = await signupAndLogin(t.app); // another user's session is never listed

    const res = await listSessions(t, second.accessToken);
    expect(res.status).toBe(200);
    const sessions = res.body.sessions as Record<string, unknown>[];
    expect(sessions).toHaveLength(2);
    const ids = sessions.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining([sidOf(first.accessToken), sidOf(second.accessToken)]));
    expect(ids).not.toContain(sidOf(other.accessToken));
    for (const s of sessions) {
      expect(Object.keys(s).sort()).toEqual(['createdAt', 'current', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'userAgent']);
      for (const field of ['createdAt', 'lastUsedAt', 'expiresAt'] as const) {
        expect(typeof s[field]).toBe('string');
        expect(new Date(s[field] as string).toISOString()).toBe(s[field]);
      }
      expect(typeof s.current).toBe('boolean');
      expect(s.ip === null || typeof s.ip === 'string').toBe(true);
    }
    const current = sessions.filter((s) => s.current === true);
    expect(current).toHaveLength(1);
    expect(current[0]!.id).toBe(sidOf(second.accessToken));
    expect(current[0]!.userAgent).toBe('second-agent/2.0');
    expect(current[0]!.createdAt).toBe(new Date(t.clock.now()).toISOString());
    expect(current[0]!.expiresAt).toBe(new Date(t.clock.now() + 7 * DAY).toISOString());

    // The same list seen from the first session marks the first one.
    const fromFirst = await listSessions(t, first.accessToken);
    const marked = (fromFirst.body.sessions as Record<string, unknown>[]).filter((s) => s.current);
    expect(marked.map((s) => s.id)).toEqual([sidOf(first.accessToken)]);
  });

  it('lastUsedAt moves on a refresh', async () => {
    const s = await signupAndLogin(t.app);
    const loginTime = t.clock.now();
    t.clock.advance(10 * MINUTE);
    const r = await refreshWith(t, s.refreshToken);
    expect(r.status).toBe(200);
    const res = await listSessions(t, r.body.accessToken);
    const [session] = res.body.sessions as Record<string, unknown>[];
    expect(session!.createdAt).toBe(new Date(loginTime).toISOString());
    expect(session!.lastUsedAt).toBe(new Date(t.clock.now()).toISOString());
  });

  it('needs a Bearer token', async () => {
    const res = await request(t.app).get('/api/auth/sessions');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('missing_token');
  });
});

describe('DELETE /api/auth/sessions/:id', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('ends that session: its refresh token gets 401 and its access tokens token_revoked', async () => {
    const a = await signupAndLogin(t.app);
    const b = await login(t, a.email);
    const res = await request(t.app)
      .delete(`/api/auth/sessions/${sidOf(b.accessToken)}`)
      .set('Authorization', bearer(a.accessToken));
    expect(res.status).toBe(204);

    expectRevoked(await protectedWith(t, b.accessToken));
    expect((await refreshWith(t, b.refreshToken)).status).toBe(401);
    // The calling session is unaffected.
    expect((await protectedWith(t, a.accessToken)).status).toBe(200);
    const list = await listSessions(t, a.accessToken);
    expect((list.body.sessions as { id: string }[]).map((s) => s.id)).toEqual([sidOf(a.accessToken)]);
  });

  it('can end the current session', async () => {
    const a = await signupAndLogin(t.app);
    const res = await request(t.app)
      .delete(`/api/auth/sessions/${sidOf(a.accessToken)}`)
      .set('Authorization', bearer(a.accessToken));
    expect(res.status).toBe(204);
    expectRevoked(await protectedWith(t, a.accessToken));
    expect((await refreshWith(t, a.refreshToken)).status).toBe(401);
  });

  it("answers 404 not_found for another user's session and leaves it alive", async () => {
    const a = await signupAndLogin(t.app);
    const victim = await signupAndLogin(t.app);
    const res = await request(t.app)
      .delete(`/api/auth/sessions/${sidOf(victim.accessToken)}`)
      .set('Authorization', bearer(a.accessToken));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
    expect((await protectedWith(t, victim.accessToken)).status).toBe(200);
    expect((await refreshWith(t, victim.refreshToken)).status).toBe(200);
  });

  it('answers 404 not_found for an unknown id', async () => {
    const a = await signupAndLogin(t.app);
    for (const id of ['0190a0b0-0000-7000-8000-000000000000', 'nope']) {
      const res = await request(t.app).delete(`/api/auth/sessions/${id}`).set('Authorization', bearer(a.accessToken));
      expect(res.status, id).toBe(404);
      expect(res.body.code, id).toBe('not_found');
    }
  });
});

describe('POST /api/auth/logout-all', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it("ends every session of the user, access and refresh tokens alike; other users' are unaffected", async () => {
    const a = await signupAndLogin(t.app);
    const b = await login(t, a.email);
    const bRotated = await refreshWith(t, b.refreshToken);
    expect(bRotated.status).toBe(200);
    const other = await signupAndLogin(t.app);

    const res = await request(t.app).post('/api/auth/logout-all').set('Authorization', bearer(a.accessToken));
    expect(res.status).toBe(204);

    for (const token of [a.accessToken, b.accessToken, bRotated.body.accessToken as string]) {
      expectRevoked(await protectedWith(t, token));
    }
    for (const token of [a.refreshToken, bRotated.body.refreshToken as string]) {
      expect((await refreshWith(t, token)).status).toBe(401);
    }
    expect((await protectedWith(t, other.accessToken)).status).toBe(200);
    expect((await refreshWith(t, other.refreshToken)).status).toBe(200);

    // A fresh login works and starts a new, single session.
    const fresh = await login(t, a.email);
    expect((await protectedWith(t, fresh.accessToken)).status).toBe(200);
    const list = await listSessions(t, fresh.accessToken);
    expect((list.body.sessions as unknown[]).length).toBe(1);
  });

  it('needs a Bearer token', async () => {
    const res = await request(t.app).post('/api/auth/logout-all');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('missing_token');
  });
});

describe('POST /api/auth/password', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const NEW_PASSWORD = 'a brand new passphrase';

  it('answers 401 invalid_credentials for a wrong currentPassword and changes nothing', async () => {
    const a = await signupAndLogin(t.app);
    const b = await login(t, a.email);
    const res = await request(t.app)
      .post('/api/auth/password')
      .set('Authorization', bearer(a.accessToken))
      .send({ currentPassword: 'not the password', newPassword: NEW_PASSWORD });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_credentials');
    expect((await protectedWith(t, b.accessToken)).status).toBe(200);
    expect((await request(t.app).post('/api/auth/login').send({ email: a.email, password: PASSWORD })).status).toBe(200);
  });

  it('answers 400 validation_failed for a too-short new password', async () => {
    const a = await signupAndLogin(t.app);
    const res = await request(t.app)
      .post('/api/auth/password')
      .set('Authorization', bearer(a.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'short' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect((res.body.errors as { path: string }[]).map((e) => e.path)).toContain('newPassword');
    expect((await request(t.app).post('/api/auth/login').send({ email: a.email, password: PASSWORD })).status).toBe(200);
  });

  it('answers 400 validation_failed for a missing field', async () => {
    const a = await signupAndLogin(t.app);
    const res = await request(t.app)
      .post('/api/auth/password')
      .set('Authorization', bearer(a.accessToken))
      .send({ newPassword: NEW_PASSWORD });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
  });

  it('changes the password: this session lives on, every other session ends, only the new password logs in', async () => {
    const a = await signupAndLogin(t.app);
    const b = await login(t, a.email);
    const c = await login(t, a.email);

    const res = await request(t.app)
      .post('/api/auth/password')
      .set('Authorization', bearer(a.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(res.status).toBe(204);

    expect((await protectedWith(t, a.accessToken)).status).toBe(200);
    const rotated = await refreshWith(t, a.refreshToken);
    expect(rotated.status).toBe(200);
    expect(sidOf(rotated.body.accessToken)).toBe(sidOf(a.accessToken));

    for (const other of [b, c]) {
      expectRevoked(await protectedWith(t, other.accessToken));
      expect((await refreshWith(t, other.refreshToken)).status).toBe(401);
    }

    const list = await listSessions(t, rotated.body.accessToken);
    expect((list.body.sessions as { id: string }[]).map((s) => s.id)).toEqual([sidOf(a.accessToken)]);

    const old = await request(t.app).post('/api/auth/login').send({ email: a.email, password: PASSWORD });
    expect(old.status).toBe(401);
    expect(old.body.code).toBe('invalid_credentials');
    const fresh = await request(t.app).post('/api/auth/login').send({ email: a.email, password: NEW_PASSWORD });
    expect(fresh.status).toBe(200);
  });
});

describe('session expiry', () => {
  it('after the 7-day refresh lifetime the refresh token is token_expired and the session is no longer listed', async () => {
    const t = await createTestApp();
    try {
      const a = await signupAndLogin(t.app);
      t.clock.advance(7 * DAY + MINUTE);
      const res = await refreshWith(t, a.refreshToken);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_expired');

      const fresh = await login(t, a.email);
      const list = await listSessions(t, fresh.accessToken);
      expect(list.status).toBe(200);
      expect((list.body.sessions as { id: string }[]).map((s) => s.id)).toEqual([sidOf(fresh.accessToken)]);
    } finally {
      await t.close();
    }
  });

  it('a session used within its lifetime slides forward: refreshing every 6 days keeps it alive', async () => {
    const t = await createTestApp();
    try {
      const a = await signupAndLogin(t.app);
      let refreshToken = a.refreshToken;
      for (let i = 0; i < 3; i++) {
        t.clock.advance(6 * DAY);
        const res = await refreshWith(t, refreshToken);
        expect(res.status, `refresh #${i + 1}`).toBe(200);
        refreshToken = res.body.refreshToken;
      }
    } finally {
      await t.close();
    }
  });

  it('SESSION_MAX_LIFETIME=1h: refreshing every 20 minutes stops working after 1 h', async () => {
    const t = await createTestApp({ SESSION_MAX_LIFETIME: '1h' });
    try {
      const a = await signupAndLogin(t.app);
      const start = t.clock.now();
      expect(a.body.refreshExpiresIn).toBeLessThanOrEqual(3600);

      let refreshToken = a.refreshToken;
      let lastAccess = a.accessToken;
      for (const minutes of [20, 40]) {
        t.clock.advance(20 * MINUTE);
        const res = await refreshWith(t, refreshToken);
        expect(res.status, `at ${minutes} min`).toBe(200);
        expect(res.body.refreshExpiresIn).toBeLessThanOrEqual(3600 - minutes * 60);
        refreshToken = res.body.refreshToken;
        lastAccess = res.body.accessToken;
      }
      const list = await listSessions(t, lastAccess);
      const [session] = list.body.sessions as { expiresAt: string }[];
      expect(Date.parse(session!.expiresAt)).toBeLessThanOrEqual(start + 60 * MINUTE);

      t.clock.advance(20 * MINUTE); // 60 min
      const end = await refreshWith(t, refreshToken);
      expect(end.status).toBe(401);
      expect(['token_expired', 'invalid_token']).toContain(end.body.code);

      t.clock.advance(20 * MINUTE); // 80 min: still over
      const later = await refreshWith(t, refreshToken);
      expect(later.status).toBe(401);
    } finally {
      await t.close();
    }
  });
});

describe('a wrong current password on the Bearer route', () => {
  it('is 401 invalid_credentials with the realm challenge', async () => {
    const t = await createTestApp();
    try {
      const s = await signupAndLogin(t.app);
      const res = await request(t.app)
        .post('/api/auth/password')
        .set('Authorization', `Bearer ${s.accessToken}`)
        .send({ currentPassword: 'not my password', newPassword: 'a brand new passphrase' });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_credentials');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    } finally {
      await t.close();
    }
  });
});
