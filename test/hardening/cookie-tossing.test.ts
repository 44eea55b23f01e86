import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { cookieHeader, setCookies } from '../helpers/cookies.ts';
import { expectProblem } from '../helpers/problem-assertions.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

/**
 * Red-team finding 6 (issue 25): a sibling host of the site sets a second refresh_token (or
 * csrf_token) cookie, Domain=.example.test with a longer Path, which the browser sends first;
 * the server read the first. Now such a request is refused before the cookie is read.
 */
const EXPIRED = /Expires=Thu, 01 Jan 1970 00:00:00 GMT/i;

/** The Set-Cookie lines that expire `name` host-only (no Domain) at `path`. */
const hostOnlyExpiries = (lines: string[], name: string, path: string) =>
  lines.filter((line) => line.startsWith(`${name}=;`) && EXPIRED.test(line) && !/Domain=/i.test(line) && line.includes(`; Path=${path};`));

describe('a refresh or CSRF cookie sent twice (cookie tossing)', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('refresh: 400 cookie_conflict, nothing rotated, and the user’s own host-only cookie kept (no COOKIE_DOMAIN)', async () => {
    t = await createTestApp();
    const victim = await signupAndLogin(t.app);
    const attacker = await signupAndLogin(t.app); // the tosser's own session, planted first
    const csrfToken = victim.body.csrfToken as string;
    const tossed = `refresh_token=${attacker.refreshToken}; refresh_token=${victim.refreshToken}; csrf_token=${csrfToken}`;

    const refused = await request(t.app).post('/api/auth/refresh').set('Cookie', tossed).set('X-CSRF-Token', csrfToken);
    expectProblem(refused, 400, 'cookie_conflict');
    // Without COOKIE_DOMAIN the host-only cookie is the victim's own: expiring it would leave the
    // browser only the tossed one, and the next refresh would sign the victim in as the attacker.
    expect(setCookies(refused)).toEqual([]);

    // Neither session rotated or ended: each token still refreshes, once.
    const again = await request(t.app)
      .post('/api/auth/refresh')
      .set('Cookie', cookieHeader({ refresh_token: victim.refreshToken, csrf_token: csrfToken }))
      .set('X-CSRF-Token', csrfToken);
    expect(again.status).toBe(200);
    expect((await request(t.app).post('/api/auth/refresh').send({ refreshToken: attacker.refreshToken })).status).toBe(200);
  });

  it('a repeated csrf_token alone is refused too', async () => {
    t = await createTestApp();
    const s = await signupAndLogin(t.app);
    const csrfToken = s.body.csrfToken as string;
    const refused = await request(t.app)
      .post('/api/auth/refresh')
      .set('Cookie', `refresh_token=${s.refreshToken}; csrf_token=planted; csrf_token=${csrfToken}`)
      .set('X-CSRF-Token', csrfToken);
    expectProblem(refused, 400, 'cookie_conflict');
    expect(setCookies(refused)).toEqual([]);
    const both = await request(t.app)
      .post('/api/auth/refresh')
      .set('Cookie', `refresh_token=x; refresh_token=${s.refreshToken}; csrf_token=planted; csrf_token=${csrfToken}`)
      .set('X-CSRF-Token', csrfToken);
    expectProblem(both, 400, 'cookie_conflict');
    expect(setCookies(both)).toEqual([]);
    expect((await request(t.app).post('/api/auth/refresh').send({ refreshToken: s.refreshToken })).status).toBe(200);
  });

  it('logout: refused the same way, and the session is not ended', async () => {
    t = await createTestApp();
    const s = await signupAndLogin(t.app);
    const csrfToken = s.body.csrfToken as string;
    const refused = await request(t.app)
      .post('/api/auth/logout')
      .set('Cookie', `refresh_token=planted; refresh_token=${s.refreshToken}; csrf_token=${csrfToken}`)
      .set('X-CSRF-Token', csrfToken);
    expectProblem(refused, 400, 'cookie_conflict');
    expect(setCookies(refused)).toEqual([]);
    const single = cookieHeader({ refresh_token: s.refreshToken, csrf_token: csrfToken });
    const refreshed = await request(t.app).post('/api/auth/refresh').set('Cookie', single).set('X-CSRF-Token', csrfToken);
    expect(refreshed.status).toBe(200);
    const logout = await request(t.app)
      .post('/api/auth/logout')
      .set('Cookie', cookieHeader({ refresh_token: refreshed.body.refreshToken as string, csrf_token: csrfToken }))
      .set('X-CSRF-Token', csrfToken);
    expect(logout.status).toBe(204);
  });

  it('with COOKIE_DOMAIN (Tessera’s cookies are Domain cookies): a stale host-only twin is expired, prefixed names and Secure too', async () => {
    t = await createTestApp({ COOKIE_DOMAIN: 'example.test', COOKIE_PREFIXES: 'true', COOKIE_SECURE: 'true' });
    const s = await signupAndLogin(t.app);
    const csrfToken = s.body.csrfToken as string;
    const refused = await request(t.app)
      .post('/api/auth/refresh')
      .set(
        'Cookie',
        `__Secure-refresh_token=planted; __Secure-refresh_token=${s.refreshToken}; __Secure-csrf_token=a; __Secure-csrf_token=${csrfToken}`,
      )
      .set('X-CSRF-Token', csrfToken);
    expectProblem(refused, 400, 'cookie_conflict');
    const lines = setCookies(refused);
    const refresh = hostOnlyExpiries(lines, '__Secure-refresh_token', '/api/auth');
    const csrf = hostOnlyExpiries(lines, '__Secure-csrf_token', '/');
    expect(refresh).toHaveLength(1);
    expect(csrf).toHaveLength(1);
    for (const line of [...refresh, ...csrf]) expect(line).toMatch(/; Secure/);
    expect(lines.filter((line) => /Domain=/i.test(line))).toEqual([]); // the Domain cookies are left as they are

    // A plain-named cookie is not one this mode reads: no conflict, the prefixed cookie works.
    const ok = await request(t.app)
      .post('/api/auth/refresh')
      .set('Cookie', `refresh_token=planted; refresh_token=other; __Secure-refresh_token=${s.refreshToken}`)
      .set('X-CSRF-Token', csrfToken);
    expect(ok.status).toBe(200);
  });

  it('the OpenAPI document lists cookie_conflict (400, with Set-Cookie) for refresh and logout', async () => {
    t = await createTestApp();
    const doc = (await request(t.app).get('/openapi.json')).body as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string; headers?: object }> }>>;
    };
    for (const path of ['/api/auth/refresh', '/api/auth/logout']) {
      const bad = doc.paths[path]?.post?.responses['400'];
      expect(bad?.description, path).toContain('`cookie_conflict`');
      expect(bad?.headers, path).toHaveProperty('Set-Cookie');
    }
    expect(doc.paths['/api/auth/login']?.post?.responses['400']?.description).not.toContain('cookie_conflict');
  });
});
