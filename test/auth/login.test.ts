import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, loginAsAdmin, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { bearer, decodeJwt, expectProblem, setCookies } from '../helpers/auth-assertions.ts';

const login = (t: TestApp, body: unknown) =>
  request(t.app)
    .post('/api/auth/login')
    .send(body as object);

async function signup(t: TestApp, email = uniqueEmail(), password = PASSWORD) {
  const res = await request(t.app).post('/api/auth/signup').send({ email, password });
  expect(res.status).toBe(201);
  return { email, password, userId: res.body.user.id as string };
}

describe('POST /api/auth/login', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  describe('success', () => {
    it('answers 200 with the token response', async () => {
      const { email, userId } = await signup(t);
      const res = await login(t, { email, password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(
        ['accessToken', 'csrfToken', 'expiresIn', 'refreshExpiresIn', 'refreshToken', 'tokenType', 'user'].sort(),
      );
      // v2: the session's CSRF token in the body equals the csrf_token cookie set with it.
      expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).join(';')).toContain(`csrf_token=${res.body.csrfToken}`);
      expect(res.body.tokenType).toBe('Bearer');
      expect(typeof res.body.accessToken).toBe('string');
      expect(res.body.accessToken.split('.')).toHaveLength(3);
      expect(res.body.expiresIn).toBe(900);
      expect(typeof res.body.refreshToken).toBe('string');
      expect(res.body.refreshToken.split('.')).toHaveLength(3);
      expect(res.body.refreshToken).not.toBe(res.body.accessToken);
      expect(res.body.refreshExpiresIn).toBe(7 * 24 * 3600);
      expect(res.body.user).toEqual({
        id: userId,
        email,
        name: null,
        roles: ['user'],
        emailVerified: false,
        mfaEnabled: false,
        createdAt: new Date(t.clock.now()).toISOString(),
      });
      expect(JSON.stringify(res.body)).not.toMatch(/\$argon2|passwordHash/);
    });

    it('is not cacheable (Cache-Control: no-store)', async () => {
      const { email } = await signup(t);
      const res = await login(t, { email, password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toMatch(/no-store/);
    });

    it('sets the refresh_token cookie (HttpOnly, SameSite=Strict, Path=/api/auth, Max-Age)', async () => {
      const { email } = await signup(t);
      const res = await login(t, { email, password: PASSWORD });
      const cookie = setCookies(res).refresh_token;
      expect(cookie).toBeDefined();
      expect(cookie!.value).toBe(res.body.refreshToken);
      expect(cookie!.attrs).toHaveProperty('httponly');
      expect(cookie!.attrs.samesite?.toLowerCase()).toBe('strict');
      expect(cookie!.attrs.path).toBe('/api/auth');
      expect(Number(cookie!.attrs['max-age'])).toBe(7 * 24 * 3600);
      // COOKIE_SECURE=false in the test app.
      expect(cookie!.attrs).not.toHaveProperty('secure');
    });

    it('sets the csrf_token cookie readable by scripts (not HttpOnly, SameSite=Strict, Path=/)', async () => {
      const { email } = await signup(t);
      const res = await login(t, { email, password: PASSWORD });
      const cookie = setCookies(res).csrf_token;
      expect(cookie).toBeDefined();
      expect(cookie!.value.length).toBeGreaterThan(0);
      expect(cookie!.attrs).not.toHaveProperty('httponly');
      expect(cookie!.attrs.samesite?.toLowerCase()).toBe('strict');
      expect(cookie!.attrs.path).toBe('/');
    });

    it('accepts the email in another case and with spaces', async () => {
      const { email, userId } = await signup(t);
      const res = await login(t, { email: `  ${email.toUpperCase()} `, password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(userId);
    });

    it('issues an ES256 at+jwt access token with the contract claims', async () => {
      const { email, userId } = await signup(t);
      const res = await login(t, { email, password: PASSWORD });
      const { header, payload } = decodeJwt(res.body.accessToken);
      expect(header.alg).toBe('ES256');
      expect(header.typ).toBe('at+jwt');
      expect(typeof header.kid).toBe('string');
      expect((header.kid as string).length).toBeGreaterThan(0);

      expect(payload.iss).toBe('http://localhost:5000'); // APP_URL (its default here): a URL, as discovery needs
      expect(payload.aud === 'tessera-api' || (Array.isArray(payload.aud) && payload.aud.includes('tessera-api'))).toBe(true);
      expect(payload.sub).toBe(userId);
      expect(payload.roles).toEqual(['user']);
      expect(payload.iat).toBe(Math.floor(t.clock.now() / 1000));
      expect(payload.exp).toBe((payload.iat as number) + 900);
      expect(typeof payload.jti).toBe('string');
      expect((payload.jti as string).length).toBeGreaterThan(0);
      expect(typeof payload.sid).toBe('string');
      expect((payload.sid as string).length).toBeGreaterThan(0);
      // RFC 8176: a password-only login (v2: ["pwd", "otp"] after a second factor, test/mfa/).
      expect(payload.amr).toEqual(['pwd']);
      // v3: when the session proved its credential (RFC 9068 / OIDC), the login itself here.
      expect(payload.auth_time).toBe(payload.iat);
      expect(Object.keys(payload).sort()).toEqual(['amr', 'aud', 'auth_time', 'exp', 'iat', 'iss', 'jti', 'roles', 'sid', 'sub']);
    });

    it('advertises the signing key in the JWKS', async () => {
      const { email } = await signup(t);
      const res = await login(t, { email, password: PASSWORD });
      const { header } = decodeJwt(res.body.accessToken);
      const jwks = await request(t.app).get('/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
    });

    it('gives every login a new jti and a new sid', async () => {
      const { email } = await signup(t);
      const a = await login(t, { email, password: PASSWORD });
      const b = await login(t, { email, password: PASSWORD });
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      const pa = decodeJwt(a.body.accessToken).payload;
      const pb = decodeJwt(b.body.accessToken).payload;
      expect(pa.jti).not.toBe(pb.jti);
      expect(pa.sid).not.toBe(pb.sid);
      expect(a.body.refreshToken).not.toBe(b.body.refreshToken);
    });
  });

  describe('failures', () => {
    /** Headers with the per-request noise removed: Date and the client rate-limit counter. */
    const comparableHeaders = (res: request.Response) => {
      const headers: Record<string, unknown> = { ...res.headers };
      delete headers.date;
      // Unique per request by design (and present, in the same form, on both).
      expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      delete headers['x-request-id'];
      if (typeof headers.ratelimit === 'string') {
        headers.ratelimit = headers.ratelimit.replace(/remaining=\d+/, 'remaining=N').replace(/reset=\d+/, 'reset=N');
      }
      return headers;
    };

    it('answers an unknown email and a wrong password identically (401 invalid_credentials)', async () => {
      const { email } = await signup(t);
      const unknown = await login(t, { email: uniqueEmail('nobody'), password: PASSWORD });
      const wrong = await login(t, { email, password: `${PASSWORD}x` });
      expectProblem(unknown, 401, 'invalid_credentials');
      expectProblem(wrong, 401, 'invalid_credentials');
      expect(wrong.status).toBe(unknown.status);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.text).toBe(unknown.text);
      expect(comparableHeaders(wrong)).toEqual(comparableHeaders(unknown));
      expect(wrong.headers['set-cookie']).toBeUndefined();
      expect(wrong.headers['www-authenticate']).toBeUndefined();
    });

    it('refuses the password of another account', async () => {
      const a = await signup(t);
      const b = await signup(t, uniqueEmail(), `${PASSWORD} two`);
      expectProblem(await login(t, { email: a.email, password: b.password }), 401, 'invalid_credentials');
    });

    it('refuses SQL-looking credentials as plain wrong ones', async () => {
      await signup(t);
      expectProblem(await login(t, { email: "' OR '1'='1", password: "' OR '1'='1" }), 401, 'invalid_credentials');
      expectProblem(await login(t, { email: 'x@example.com" --', password: 'x' }), 401, 'invalid_credentials');
    });

    it('answers 400 validation_failed for missing or mistyped fields', async () => {
      expectProblem(await login(t, {}), 400, 'validation_failed');
      expectProblem(await login(t, { email: uniqueEmail() }), 400, 'validation_failed');
      expectProblem(await login(t, { email: 42, password: PASSWORD }), 400, 'validation_failed');
      expectProblem(await login(t, { email: uniqueEmail(), password: [PASSWORD] }), 400, 'validation_failed');
    });

    it('answers 403 account_disabled for a disabled account, only with the correct password', async () => {
      const { email, userId } = await signup(t);
      const admin = await loginAsAdmin(t);
      const disable = await request(t.app).post(`/api/admin/users/${userId}/disable`).set('Authorization', bearer(admin.accessToken));
      expect(disable.status).toBe(204);

      const right = await login(t, { email, password: PASSWORD });
      expectProblem(right, 403, 'account_disabled');
      expect(right.body).not.toHaveProperty('accessToken');
      expect(right.headers['set-cookie']).toBeUndefined();

      const wrong = await login(t, { email, password: `${PASSWORD}x` });
      expectProblem(wrong, 401, 'invalid_credentials');

      const enable = await request(t.app).post(`/api/admin/users/${userId}/enable`).set('Authorization', bearer(admin.accessToken));
      expect(enable.status).toBe(204);
      expect((await login(t, { email, password: PASSWORD })).status).toBe(200);
    });
  });
});

describe('login settings', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('JWT_EXPIRES_IN sets expiresIn and exp', async () => {
    t = await createTestApp({ JWT_EXPIRES_IN: '5m' });
    const session = await signupAndLogin(t.app);
    expect(session.body.expiresIn).toBe(300);
    const { payload } = decodeJwt(session.accessToken);
    expect(payload.exp).toBe((payload.iat as number) + 300);
  });

  it('REFRESH_TOKEN_TRANSPORT=cookie omits refreshToken from the body but sets the cookies', async () => {
    t = await createTestApp({ REFRESH_TOKEN_TRANSPORT: 'cookie' });
    const { email } = await signup(t);
    const res = await login(t, { email, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('refreshToken');
    expect(typeof res.body.accessToken).toBe('string');
    expect(typeof res.body.refreshExpiresIn).toBe('number');
    const cookies = setCookies(res);
    expect(cookies.refresh_token?.value).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(cookies.csrf_token).toBeDefined();
  });

  it('REFRESH_TOKEN_TRANSPORT=body sets no cookies', async () => {
    t = await createTestApp({ REFRESH_TOKEN_TRANSPORT: 'body' });
    const { email } = await signup(t);
    const res = await login(t, { email, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(typeof res.body.refreshToken).toBe('string');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('COOKIE_SECURE=true marks both cookies Secure', async () => {
    t = await createTestApp({ COOKIE_SECURE: 'true' });
    const { email } = await signup(t);
    const res = await login(t, { email, password: PASSWORD });
    const cookies = setCookies(res);
    expect(cookies.refresh_token?.attrs).toHaveProperty('secure');
    expect(cookies.csrf_token?.attrs).toHaveProperty('secure');
  });
});

describe('login rate limits', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  // express-rate-limit counts on the real clock; these tests never try to wait the window out.

  it('answers 429 rate_limited with Retry-After after RATE_LIMIT_ACCOUNT_MAX failures for one account', async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '3' });
    const victim = await signup(t);
    for (let i = 0; i < 3; i++) {
      expectProblem(await login(t, { email: victim.email, password: `wrong-${i}-password` }), 401, 'invalid_credentials');
    }
    const blocked = await login(t, { email: victim.email, password: 'wrong-again-password' });
    expectProblem(blocked, 429, 'rate_limited');
    const retryAfter = blocked.headers['retry-after'];
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);

    // Even the right password waits now, and under another spelling of the email too.
    expectProblem(await login(t, { email: victim.email, password: PASSWORD }), 429, 'rate_limited');
    expectProblem(await login(t, { email: ` ${victim.email.toUpperCase()}`, password: 'nope-nope' }), 429, 'rate_limited');
  });

  it('leaves other accounts unaffected by one account being limited', async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '3' });
    const victim = await signup(t);
    const other = await signup(t);
    for (let i = 0; i < 4; i++) await login(t, { email: victim.email, password: `wrong-${i}-password` });
    expectProblem(await login(t, { email: victim.email, password: 'wrong-again' }), 429, 'rate_limited');

    const ok = await login(t, { email: other.email, password: PASSWORD });
    expect(ok.status).toBe(200);
    expectProblem(await login(t, { email: other.email, password: 'wrong-password' }), 401, 'invalid_credentials');
  });

  it('does not count successful logins', async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '3' });
    const user = await signup(t);
    for (let i = 0; i < 6; i++) expect((await login(t, { email: user.email, password: PASSWORD })).status).toBe(200);
  });

  it('answers 429 on /api/auth/* after RATE_LIMIT_IP_MAX requests from one client', async () => {
    t = await createTestApp({ RATE_LIMIT_IP_MAX: '3' });
    for (let i = 0; i < 3; i++) {
      const res = await login(t, { email: uniqueEmail(), password: PASSWORD });
      expect(res.status).toBe(401);
    }
    const blocked = await login(t, { email: uniqueEmail(), password: PASSWORD });
    expectProblem(blocked, 429, 'rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);

    // Every /api/auth route shares the client budget.
    expectProblem(await request(t.app).post('/api/auth/signup').send({ email: uniqueEmail(), password: PASSWORD }), 429, 'rate_limited');
    expectProblem(await request(t.app).post('/api/auth/refresh').send({ refreshToken: 'x' }), 429, 'rate_limited');
    expectProblem(await request(t.app).get('/api/auth/me'), 429, 'rate_limited');

    // Routes outside /api/auth are not limited by it.
    expect((await request(t.app).get('/healthz')).status).toBe(200);
    const protectedRes = await request(t.app).get('/api/protected');
    expect(protectedRes.status).toBe(401);
    expect(protectedRes.body.code).toBe('missing_token');
  });
});
