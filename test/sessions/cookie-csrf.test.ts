import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, signupAndLogin, PASSWORD, type TestApp } from '../helpers/test-app.ts';
import { cookieHeader, cookieLine, cookieValue, sessionCookies, setCookies, sidOf } from '../helpers/cookies.ts';

type Session = Awaited<ReturnType<typeof signupAndLogin>>;

const cookiesOf = (s: Session) => {
  const refresh = cookieValue(s.cookies, 'refresh_token');
  const csrf = cookieValue(s.cookies, 'csrf_token');
  if (!refresh || !csrf) throw new Error('login set no session cookies');
  return { refresh, csrf };
};

/** A second session of the same user. */
async function loginAgain(t: TestApp, email: string) {
  const res = await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD });
  expect(res.status).toBe(200);
  return { accessToken: res.body.accessToken as string, refreshToken: res.body.refreshToken as string, ...sessionCookies(res) };
}

const refreshByCookie = (t: TestApp, c: { refresh?: string; csrf?: string }, header?: string) => {
  const cookies: Record<string, string> = {};
  if (c.refresh !== undefined) cookies.refresh_token = c.refresh;
  if (c.csrf !== undefined) cookies.csrf_token = c.csrf;
  const req = request(t.app).post('/api/auth/refresh').set('Cookie', cookieHeader(cookies));
  if (header !== undefined) req.set('X-CSRF-Token', header);
  return req;
};

describe('refresh token cookie and CSRF', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('login sets an HttpOnly refresh_token cookie and a script-readable csrf_token cookie', async () => {
    const s = await signupAndLogin(t.app);
    const refresh = cookieLine(s.cookies, 'refresh_token');
    const csrf = cookieLine(s.cookies, 'csrf_token');
    expect(refresh).toBeDefined();
    expect(csrf).toBeDefined();
    expect(cookieValue(s.cookies, 'refresh_token')).toBe(s.refreshToken);
    expect(refresh).toMatch(/;\s*HttpOnly/i);
    expect(refresh).toMatch(/;\s*SameSite=Strict/i);
    expect(refresh).toMatch(/;\s*Path=\/api\/auth(;|$)/i);
    expect(refresh).toMatch(/;\s*Max-Age=604800(;|$)/i);
    expect(csrf).not.toMatch(/HttpOnly/i);
    expect(csrf).toMatch(/;\s*SameSite=Strict/i);
    expect(csrf).toMatch(/;\s*Path=\/(;|$)/i);
    expect(cookieValue(s.cookies, 'csrf_token')).not.toBe('');
  });

  it('refreshes by cookie with no body when X-CSRF-Token equals the csrf_token cookie', async () => {
    const s = await signupAndLogin(t.app);
    const c = cookiesOf(s);
    const res = await refreshByCookie(t, c, c.csrf);
    expect(res.status).toBe(200);
    expect(typeof res.body.accessToken).toBe('string');
    const next = sessionCookies(res);
    expect(next.refresh).not.toBe(c.refresh);
    expect(res.body.refreshToken).toBe(next.refresh);
    expect(sidOf(res.body.accessToken)).toBe(sidOf(s.accessToken));
    // The new cookies work for the next rotation.
    const again = await refreshByCookie(t, next, next.csrf);
    expect(again.status).toBe(200);
  });

  it('refreshes by cookie with an empty JSON body {}', async () => {
    const s = await signupAndLogin(t.app);
    const c = cookiesOf(s);
    const res = await request(t.app)
      .post('/api/auth/refresh')
      .set('Cookie', cookieHeader({ refresh_token: c.refresh, csrf_token: c.csrf }))
      .set('X-CSRF-Token', c.csrf)
      .send({});
    expect(res.status).toBe(200);
    expect(sessionCookies(res).refresh).not.toBe(c.refresh);
  });

  it('refuses a cookie refresh without X-CSRF-Token (403 csrf_failed) and does not rotate the token', async () => {
    const s = await signupAndLogin(t.app);
    const c = cookiesOf(s);
    const res = await refreshByCookie(t, c);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_failed');
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    // Not rotated: the same cookie still works with the right header (not reuse).
    const ok = await refreshByCookie(t, c, c.csrf);
    expect(ok.status).toBe(200);
  });

  it('refuses a wrong X-CSRF-Token value', async () => {
    const s = await signupAndLogin(t.app);
    const c = cookiesOf(s);
    const res = await refreshByCookie(t, c, `${c.csrf}x`);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_failed');
  });

  it("refuses another session's csrf_token (cookie and header) with this session's refresh cookie", async () => {
    const a = await signupAndLogin(t.app);
    const b = await loginAgain(t, a.email);
    const ca = cookiesOf(a);
    expect(b.csrf).not.toBe(ca.csrf);
    const res = await refreshByCookie(t, { refresh: ca.refresh, csrf: b.csrf }, b.csrf);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_failed');
    // Session A was not touched.
    expect((await refreshByCookie(t, ca, ca.csrf)).status).toBe(200);
  });

  it("refuses another user's csrf_token too", async () => {
    const a = await signupAndLogin(t.app);
    const other = await signupAndLogin(t.app);
    const ca = cookiesOf(a);
    const co = cookiesOf(other);
    const res = await refreshByCookie(t, { refresh: ca.refresh, csrf: co.csrf }, co.csrf);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_failed');
  });

  it('v2 synchronizer token: the body’s csrfToken is enough without a readable csrf_token cookie (a sibling-host page); a forged one is not', async () => {
    const s = await signupAndLogin(t.app);
    const c = cookiesOf(s);
    expect(s.body.csrfToken).toBe(c.csrf);
    const forged = await refreshByCookie(t, { refresh: c.refresh, csrf: 'forged' }, 'forged');
    expect(forged.status).toBe(403);
    expect(forged.body.code).toBe('csrf_failed');
    const res = await refreshByCookie(t, { refresh: c.refresh }, s.body.csrfToken as string);
    expect(res.status).toBe(200);
    expect(typeof res.body.csrfToken).toBe('string');
  });

  it('refuses a cookie refresh from a foreign Origin even with a correct CSRF token', async () => {
    const s = await signupAndLogin(t.app);
    const c = cookiesOf(s);
    const res = await refreshByCookie(t, c, c.csrf).set('Origin', 'https://evil.example');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_failed');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect((await refreshByCookie(t, c, c.csrf)).status).toBe(200);
  });

  it('answers 415 to a cookie refresh sent as text/plain', async () => {
    const s = await signupAndLogin(t.app);
    const c = cookiesOf(s);
    const res = await refreshByCookie(t, c, c.csrf).set('Content-Type', 'text/plain').send('refresh');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported_media_type');
    // Nothing was rotated.
    expect((await refreshByCookie(t, c, c.csrf)).status).toBe(200);
  });

  it('answers 415 to an empty text/plain cookie refresh', async () => {
    const s = await signupAndLogin(t.app);
    const c = cookiesOf(s);
    const res = await refreshByCookie(t, c, c.csrf).set('Content-Type', 'text/plain');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported_media_type');
  });

  it('logout by cookie needs the CSRF header: 403 without, 204 with, and the session ends', async () => {
    const s = await signupAndLogin(t.app);
    const c = cookiesOf(s);
    const cookie = cookieHeader({ refresh_token: c.refresh, csrf_token: c.csrf });

    const refused = await request(t.app).post('/api/auth/logout').set('Cookie', cookie);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('csrf_failed');
    // The refused logout ended nothing.
    const still = await request(t.app).get('/api/protected').set('Authorization', `Bearer ${s.accessToken}`);
    expect(still.status).toBe(200);

    const ok = await request(t.app).post('/api/auth/logout').set('Cookie', cookie).set('X-CSRF-Token', c.csrf);
    expect(ok.status).toBe(204);
    // The cookies are cleared.
    const cleared = setCookies(ok);
    expect(cookieLine(cleared, 'refresh_token')).toBeDefined();
    expect(cookieValue(cleared, 'refresh_token') ?? '').toBe('');
    expect(cookieValue(cleared, 'csrf_token') ?? '').toBe('');

    const after = await request(t.app).post('/api/auth/refresh').send({ refreshToken: c.refresh });
    expect(after.status).toBe(401);
    const access = await request(t.app).get('/api/protected').set('Authorization', `Bearer ${s.accessToken}`);
    expect(access.status).toBe(401);
    expect(access.body.code).toBe('token_revoked');
  });

  it('a refreshToken in the body wins over the cookie (no CSRF needed, the cookie session is untouched)', async () => {
    const a = await signupAndLogin(t.app);
    const b = await loginAgain(t, a.email);
    const res = await request(t.app)
      .post('/api/auth/refresh')
      .set('Cookie', cookieHeader({ refresh_token: b.refresh, csrf_token: b.csrf }))
      .send({ refreshToken: a.refreshToken });
    expect(res.status).toBe(200);
    expect(sidOf(res.body.accessToken)).toBe(sidOf(a.accessToken));
    expect(sidOf(res.body.accessToken)).not.toBe(sidOf(b.accessToken));
    // The cookie's token was not rotated: it still works once (no reuse).
    expect((await refreshByCookie(t, b, b.csrf)).status).toBe(200);
    // And A's body token was rotated: presenting it again is reuse.
    const reused = await request(t.app).post('/api/auth/refresh').send({ refreshToken: a.refreshToken });
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('refresh_reused');
  });
});

describe('CSRF and CORS with CORS_ORIGINS', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ CORS_ORIGINS: 'https://app.example' });
  });
  afterEach(() => t.close());

  it('accepts a cookie refresh from an allowed origin and answers with credentialed CORS headers', async () => {
    const s = await signupAndLogin(t.app);
    const c = cookiesOf(s);
    const res = await refreshByCookie(t, c, c.csrf).set('Origin', 'https://app.example');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
  });

  it('never gives a foreign origin Access-Control-Allow-Origin, and refuses its cookie refresh', async () => {
    const s = await signupAndLogin(t.app);
    const c = cookiesOf(s);
    const res = await refreshByCookie(t, c, c.csrf).set('Origin', 'https://evil.example');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_failed');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();

    const preflight = await request(t.app)
      .options('/api/auth/refresh')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();

    const login = await request(t.app)
      .post('/api/auth/login')
      .set('Origin', 'https://evil.example')
      .send({ email: s.email, password: PASSWORD });
    expect(login.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a lookalike origin (suffix or scheme change) is not allowed', async () => {
    const s = await signupAndLogin(t.app);
    const c = cookiesOf(s);
    for (const origin of ['https://app.example.evil.example', 'http://app.example', 'https://app.example:8443']) {
      const res = await refreshByCookie(t, c, c.csrf).set('Origin', origin);
      expect(res.status, origin).toBe(403);
      expect(res.body.code, origin).toBe('csrf_failed');
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });
});
