import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

describe('COOKIE_PREFIXES', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('names the cookies __Secure-refresh_token and __Host-csrf_token, and reads them back', async () => {
    t = await createTestApp({ COOKIE_SECURE: 'true', COOKIE_PREFIXES: 'true' });
    const s = await signupAndLogin(t.app);
    const refresh = s.cookies.find((c) => c.startsWith('__Secure-refresh_token='))!;
    const csrf = s.cookies.find((c) => c.startsWith('__Host-csrf_token='))!;
    expect(refresh).toMatch(/; Path=\/api\/auth/);
    expect(refresh).toMatch(/; Secure/);
    expect(csrf).toMatch(/; Path=\//);
    expect(csrf).toMatch(/; Secure/);
    expect(csrf).not.toMatch(/Domain=/i);
    const csrfValue = csrf.split(';')[0]!.split('=')[1]!;
    const cookie = `${refresh.split(';')[0]}; ${csrf.split(';')[0]}`;
    const res = await request(t.app).post('/api/auth/refresh').set('Cookie', cookie).set('X-CSRF-Token', csrfValue);
    expect(res.status).toBe(200);
    // The contract's plain names are not read in this mode.
    const plain = await request(t.app)
      .post('/api/auth/refresh')
      .set('Cookie', `refresh_token=${refresh.split(';')[0]!.split('=')[1]}; csrf_token=${csrfValue}`)
      .set('X-CSRF-Token', csrfValue);
    expect(plain.status).toBe(401);
  });

  it('refuses to start with prefixes but without Secure cookies', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', COOKIE_SECURE: 'false', COOKIE_PREFIXES: 'true' })).toThrow(ConfigError);
  });
});
