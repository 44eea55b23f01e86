import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';
import { bearer, expectBearerError, expectCleared, expectProblem, setCookies } from '../helpers/auth-assertions.ts';

describe('POST /api/auth/logout', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const logout = (body?: object, accessToken?: string) => {
    let req = request(t.app).post('/api/auth/logout');
    if (accessToken) req = req.set('Authorization', bearer(accessToken));
    return body === undefined ? req : req.send(body);
  };
  const refresh = (refreshToken: string) => request(t.app).post('/api/auth/refresh').send({ refreshToken });
  const hitProtected = (accessToken: string) => request(t.app).get('/api/protected').set('Authorization', bearer(accessToken));

  it('ends the session of a body refresh token: 204, cookies cleared', async () => {
    const session = await signupAndLogin(t.app);
    const res = await logout({ refreshToken: session.refreshToken });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const cookies = setCookies(res);
    expectCleared(cookies.refresh_token, t.clock.now());
    expectCleared(cookies.csrf_token, t.clock.now());
    expect(cookies.refresh_token?.attrs.path).toBe('/api/auth');
    expect(cookies.csrf_token?.attrs.path).toBe('/');
  });

  it('makes the refresh token of the ended session useless', async () => {
    const session = await signupAndLogin(t.app);
    expect((await logout({ refreshToken: session.refreshToken })).status).toBe(204);
    const res = await refresh(session.refreshToken);
    expectProblem(res, 401, 'invalid_token');
  });

  it('revokes the access tokens of the ended session at once (token_revoked)', async () => {
    const session = await signupAndLogin(t.app);
    expect((await hitProtected(session.accessToken)).status).toBe(200);
    expect((await logout({ refreshToken: session.refreshToken })).status).toBe(204);
    expectBearerError(await hitProtected(session.accessToken), 'token_revoked');
    expectBearerError(await request(t.app).get('/api/auth/me').set('Authorization', bearer(session.accessToken)), 'token_revoked');
  });

  it('keeps revoking them until they would have expired, then they are simply expired', async () => {
    const session = await signupAndLogin(t.app);
    await logout({ refreshToken: session.refreshToken }).expect(204);
    t.clock.advance(14 * 60_000);
    expectBearerError(await hitProtected(session.accessToken), 'token_revoked');
    t.clock.advance(2 * 60_000);
    const late = await hitProtected(session.accessToken);
    expect(late.status).toBe(401);
    expect(['token_revoked', 'token_expired']).toContain(late.body.code);
  });

  it('leaves the other sessions of the user alone', async () => {
    const a = await signupAndLogin(t.app);
    const b = await request(t.app).post('/api/auth/login').send({ email: a.email, password: a.password });
    expect(b.status).toBe(200);
    await logout({ refreshToken: a.refreshToken }).expect(204);
    expect((await hitProtected(b.body.accessToken)).status).toBe(200);
    expect((await refresh(b.body.refreshToken)).status).toBe(200);
  });

  it.each([
    ['an unknown-looking garbage token', { refreshToken: 'garbage' }],
    ['a malformed JWT', { refreshToken: 'a.b.c' }],
    ['no token at all', {}],
  ])('answers 204 for %s', async (_label, body) => {
    const res = await logout(body);
    expect(res.status).toBe(204);
    expectCleared(setCookies(res).refresh_token, t.clock.now());
  });

  it('answers 204 with no body at all', async () => {
    expect((await logout()).status).toBe(204);
  });

  it('answers 204 for a refresh token from another server', async () => {
    const other = await createTestApp();
    try {
      const foreign = await signupAndLogin(other.app);
      expect((await logout({ refreshToken: foreign.refreshToken })).status).toBe(204);
    } finally {
      await other.close();
    }
  });

  it('answers 204 for an expired refresh token', async () => {
    const session = await signupAndLogin(t.app);
    t.clock.advance(8 * 24 * 3600 * 1000);
    expect((await logout({ refreshToken: session.refreshToken })).status).toBe(204);
  });

  it('answers 204 when logging out twice', async () => {
    const session = await signupAndLogin(t.app);
    const first = await logout({ refreshToken: session.refreshToken }, session.accessToken);
    const second = await logout({ refreshToken: session.refreshToken }, session.accessToken);
    expect(first.status).toBe(204);
    expect(second.status).toBe(204);
    expectCleared(setCookies(second).refresh_token, t.clock.now());
  });

  it('revokes a valid Bearer access token sent with it', async () => {
    const session = await signupAndLogin(t.app);
    const res = await logout(undefined, session.accessToken);
    expect(res.status).toBe(204);
    expectBearerError(await hitProtected(session.accessToken), 'token_revoked');
  });

  it('revokes the Bearer access token and ends the body session together', async () => {
    const session = await signupAndLogin(t.app);
    const res = await logout({ refreshToken: session.refreshToken }, session.accessToken);
    expect(res.status).toBe(204);
    expectBearerError(await hitProtected(session.accessToken), 'token_revoked');
    expectProblem(await refresh(session.refreshToken), 401, 'invalid_token');
  });

  it('answers 204 with a garbage Bearer token', async () => {
    const res = await logout({}, 'garbage');
    expect(res.status).toBe(204);
  });

  it('ends the session of the refresh_token cookie when the CSRF header matches', async () => {
    const session = await signupAndLogin(t.app);
    const cookies = setCookiesFromLogin(session.cookies);
    const res = await request(t.app)
      .post('/api/auth/logout')
      .set('Cookie', `refresh_token=${cookies.refresh_token}; csrf_token=${cookies.csrf_token}`)
      .set('X-CSRF-Token', cookies.csrf_token!);
    expect(res.status).toBe(204);
    expectProblem(await refresh(session.refreshToken), 401, 'invalid_token');
    expectBearerError(await hitProtected(session.accessToken), 'token_revoked');
  });

  it('refuses a cookie-borne logout without the CSRF header (403 csrf_failed)', async () => {
    const session = await signupAndLogin(t.app);
    const cookies = setCookiesFromLogin(session.cookies);
    const res = await request(t.app)
      .post('/api/auth/logout')
      .set('Cookie', `refresh_token=${cookies.refresh_token}; csrf_token=${cookies.csrf_token}`);
    expectProblem(res, 403, 'csrf_failed');
    // Nothing ended.
    expect((await hitProtected(session.accessToken)).status).toBe(200);
  });
});

/** name → value of the Set-Cookie lines a login returned. */
function setCookiesFromLogin(lines: string[]): Record<string, string> {
  return Object.fromEntries(
    lines.map((line) => {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}
