import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { cookieLine, setCookies } from '../helpers/cookies.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

/** The Set-Cookie line for `name` that carries a Domain (beside it may stand the expiry of a host-only twin). */
const domainLine = (lines: string[], name: string) => lines.find((line) => line.startsWith(`${name}=`) && /; Domain=/i.test(line));

/** COOKIE_DOMAIN and COOKIE_SAMESITE (v2): cookies for sibling hosts of one site. */
describe('cookie domain and SameSite', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('COOKIE_DOMAIN sets Domain on the refresh and CSRF cookies (and their clearing), expires host-only twins, keeps the device cookie host-only', async () => {
    t = await createTestApp({ COOKIE_DOMAIN: 'example.test' });
    const s = await signupAndLogin(t.app);
    for (const name of ['refresh_token', 'csrf_token']) {
      const lines = s.cookies.filter((line) => line.startsWith(`${name}=`));
      // One Domain cookie, and the expiry of a host-only one an earlier configuration may have left.
      expect(
        lines.filter((line) => /; Domain=example\.test/i.test(line) && !/Expires=Thu, 01 Jan 1970/i.test(line)),
        name,
      ).toHaveLength(1);
      expect(
        lines.filter((line) => !/Domain=/i.test(line) && /Expires=Thu, 01 Jan 1970/i.test(line)),
        name,
      ).toHaveLength(1);
    }
    expect(cookieLine(s.cookies, 'device')).not.toMatch(/Domain=/i);
    const logout = await request(t.app)
      .post('/api/auth/logout')
      .set('Cookie', `refresh_token=${s.refreshToken}`)
      .set('X-CSRF-Token', s.body.csrfToken as string);
    expect(logout.status).toBe(204);
    for (const name of ['refresh_token', 'csrf_token']) {
      expect(domainLine(setCookies(logout), name), name).toMatch(/; Domain=example\.test/i);
    }
  });

  it('without COOKIE_DOMAIN the cookies are host-only', async () => {
    t = await createTestApp();
    const s = await signupAndLogin(t.app);
    for (const name of ['refresh_token', 'csrf_token', 'device']) expect(cookieLine(s.cookies, name), name).not.toMatch(/Domain=/i);
  });

  it('COOKIE_SAMESITE=lax (and none, with Secure) reaches every cookie', async () => {
    t = await createTestApp({ COOKIE_SAMESITE: 'lax' });
    const lax = await signupAndLogin(t.app);
    for (const name of ['refresh_token', 'csrf_token', 'device']) expect(cookieLine(lax.cookies, name), name).toMatch(/SameSite=Lax/i);
    await t.close();
    t = await createTestApp({ COOKIE_SAMESITE: 'none', COOKIE_SECURE: 'true' });
    const none = await signupAndLogin(t.app);
    for (const name of ['refresh_token', 'csrf_token']) {
      expect(cookieLine(none.cookies, name), name).toMatch(/SameSite=None/i);
      expect(cookieLine(none.cookies, name), name).toMatch(/; Secure/i);
    }
  });

  it('COOKIE_SAMESITE=none without Secure, or a COOKIE_DOMAIN that is not a domain, stops start-up naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', COOKIE_SAMESITE: 'none', COOKIE_SECURE: 'false' })).toThrow(
      /COOKIE_SAMESITE=none needs Secure/,
    );
    expect(() => loadConfig({ NODE_ENV: 'test', COOKIE_DOMAIN: 'https://example.com/' })).toThrow(/COOKIE_DOMAIN/);
    expect(() => loadConfig({ NODE_ENV: 'test', COOKIE_SAMESITE: 'sideways' })).toThrow(/COOKIE_SAMESITE/);
  });

  it('with COOKIE_PREFIXES and COOKIE_DOMAIN the CSRF cookie is __Secure- (a __Host- cookie cannot carry a Domain)', async () => {
    t = await createTestApp({ COOKIE_PREFIXES: 'true', COOKIE_SECURE: 'true', COOKIE_DOMAIN: 'example.test' });
    const login = await request(t.app).post('/api/auth/signup').send({ email: 'p@example.com', password: 'correct horse battery staple' });
    expect(login.status).toBe(201);
    const res = await request(t.app).post('/api/auth/login').send({ email: 'p@example.com', password: 'correct horse battery staple' });
    expect(domainLine(setCookies(res), '__Secure-csrf_token')).toMatch(/Domain=example\.test/i);
    expect(cookieLine(setCookies(res), '__Host-csrf_token')).toBeUndefined();
  });
});
