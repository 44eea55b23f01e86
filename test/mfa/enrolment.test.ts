import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectProblem, expectValidationFailed } from '../helpers/problem-assertions.ts';
import { PASSWORD, signupAndLogin, type TestApp, createTestApp } from '../helpers/test-app.ts';
import { jwtPayload } from '../helpers/cookies.ts';
import { bearer, currentCode, enrolledUser, mfaLogin, passwordStep, setup, STEP_MS, verify, wrongCode } from './mfa-helpers.ts';

const me = (t: TestApp, token: string) => request(t.app).get('/api/auth/me').set(bearer(token));

describe('MFA enrolment and the two-step login', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ MFA_ISSUER: 'Acme Shop' });
  });
  afterEach(() => t.close());

  it('the whole flow: setup, confirm, a login in two steps with amr pwd+otp, me shows mfaEnabled', async () => {
    const user = await signupAndLogin(t.app);
    expect((await me(t, user.accessToken)).body.user.mfaEnabled).toBe(false);

    const pending = await setup(t.app, user.accessToken);
    expect(pending.status).toBe(200);
    expect(Object.keys(pending.body).sort()).toEqual(['otpauthUrl', 'qrCodeSvg', 'secret']);
    expect(pending.headers['cache-control']).toMatch(/no-store/);
    const { secret, otpauthUrl, qrCodeSvg } = pending.body as { secret: string; otpauthUrl: string; qrCodeSvg: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(otpauthUrl);
    expect(url.protocol).toBe('otpauth:');
    expect(decodeURIComponent(url.pathname)).toBe(`/Acme Shop:${user.email}`);
    expect(Object.fromEntries(url.searchParams)).toEqual({ issuer: 'Acme Shop', secret, algorithm: 'SHA1', digits: '6', period: '30' });
    expect(qrCodeSvg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>\s*$/);

    // Not active until confirmed: login still gives tokens at once.
    const early = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
    expect(early.status).toBe(200);
    expect(early.body.accessToken).toBeDefined();
    expect((await me(t, user.accessToken)).body.user.mfaEnabled).toBe(false);

    const wrong = await request(t.app)
      .post('/api/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: wrongCode(secret, t.clock.now()), currentPassword: PASSWORD });
    expectProblem(wrong, 400, 'invalid_mfa_code');
    expect(wrong.headers['www-authenticate']).toBeUndefined(); // a signed-in mistake, not a failed sign-in

    const confirmed = await request(t.app)
      .post('/api/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: currentCode(secret, t.clock), currentPassword: PASSWORD });
    expect(confirmed.status).toBe(200);
    expect(Object.keys(confirmed.body)).toEqual(['recoveryCodes']);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    expect(new Set(confirmed.body.recoveryCodes).size).toBe(10);
    expect(confirmed.headers['cache-control']).toMatch(/no-store/);
    expect((await me(t, user.accessToken)).body.user.mfaEnabled).toBe(true);

    // Login: a challenge, no tokens, no cookies.
    const first = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
    expect(first.status).toBe(200);
    expect(Object.keys(first.body).sort()).toEqual(['methods', 'mfaRequired', 'mfaToken']);
    expect(first.body).toMatchObject({ mfaRequired: true, methods: ['totp', 'recovery_code'] });
    expect(first.body.mfaToken).toMatch(/^[\w-]{43}$/);
    expect(first.headers['set-cookie']).toBeUndefined();
    expect(first.headers['cache-control']).toMatch(/no-store/);

    t.clock.advance(STEP_MS); // the confirm code's step is spent
    const second = await verify(t.app, first.body.mfaToken, currentCode(secret, t.clock));
    expect(second.status).toBe(200);
    expect(Object.keys(second.body).sort()).toEqual(
      ['accessToken', 'csrfToken', 'expiresIn', 'refreshExpiresIn', 'refreshToken', 'tokenType', 'user'].sort(),
    );
    expect(second.body.user).toMatchObject({ id: user.userId, mfaEnabled: true });
    expect(jwtPayload(second.body.accessToken).amr).toEqual(['pwd', 'otp']);
    expect((await me(t, second.body.accessToken)).body.user.mfaEnabled).toBe(true);
  });

  it('a TOTP code typed with a space is read; a malformed one is a validation failure', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t.app, user.email);
    const bad = await verify(t.app, mfaToken, '12-34');
    expectValidationFailed(bad, ['code']);
    const code = currentCode(user.secret, t.clock);
    const ok = await verify(t.app, mfaToken, `${code.slice(0, 3)} ${code.slice(3)}`);
    expect(ok.status).toBe(200);
  });

  it('setup again before confirming replaces the pending secret: only the newest one confirms', async () => {
    const user = await signupAndLogin(t.app);
    const a = (await setup(t.app, user.accessToken)).body.secret as string;
    const b = (await setup(t.app, user.accessToken)).body.secret as string;
    expect(b).not.toBe(a);
    const stale = await request(t.app)
      .post('/api/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: currentCode(a, t.clock), currentPassword: PASSWORD });
    if (currentCode(a, t.clock) !== currentCode(b, t.clock)) expectProblem(stale, 400, 'invalid_mfa_code');
    const fresh = await request(t.app)
      .post('/api/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: currentCode(b, t.clock), currentPassword: PASSWORD });
    expect(fresh.status).toBe(200);
  });

  it('setup while MFA is on is 400 validation_failed, saying why; confirm then too', async () => {
    const user = await enrolledUser(t);
    const again = await setup(t.app, user.accessToken);
    expectValidationFailed(again);
    expect(again.body.detail).toMatch(/already on/);
    const confirm = await request(t.app)
      .post('/api/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: currentCode(user.secret, t.clock), currentPassword: PASSWORD });
    expectValidationFailed(confirm);
    expect(confirm.body.detail).toMatch(/already on/);
  });

  it('confirm, disable and new recovery codes without MFA set up: 400 validation_failed', async () => {
    const user = await signupAndLogin(t.app);
    for (const [method, path] of [
      ['post', '/api/auth/mfa/totp/confirm'],
      ['delete', '/api/auth/mfa/totp'],
      ['post', '/api/auth/mfa/recovery-codes'],
    ] as const) {
      const res = await request(t.app)[method](path).set(bearer(user.accessToken)).send({ code: '123456', currentPassword: PASSWORD });
      expectValidationFailed(res);
      expect(res.body.detail).toMatch(/not on/);
    }
  });

  it('the MFA endpoints need a Bearer token', async () => {
    for (const [method, path] of [
      ['post', '/api/auth/mfa/totp/setup'],
      ['post', '/api/auth/mfa/totp/confirm'],
      ['delete', '/api/auth/mfa/totp'],
      ['post', '/api/auth/mfa/recovery-codes'],
    ] as const) {
      const res = await request(t.app)[method](path).send({ code: '123456' });
      expectProblem(res, 401, 'missing_token');
    }
  });

  it('disable with a TOTP code: login is one step again, every other session ended, this one kept', async () => {
    const user = await enrolledUser(t);
    const other = await mfaLogin(t.app, user.email, currentCode(user.secret, t.clock));
    t.clock.advance(STEP_MS);
    const off = await request(t.app)
      .delete('/api/auth/mfa/totp')
      .set(bearer(user.accessToken))
      .send({ code: currentCode(user.secret, t.clock) });
    expect(off.status).toBe(204);
    expectProblem(await me(t, other.body.accessToken), 401, 'token_revoked');
    expect((await me(t, user.accessToken)).body.user.mfaEnabled).toBe(false);
    const login = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(jwtPayload(login.body.accessToken).amr).toEqual(['pwd']);
  });

  it('disable with a recovery code, which is spent', async () => {
    const user = await enrolledUser(t);
    const off = await request(t.app).delete('/api/auth/mfa/totp').set(bearer(user.accessToken)).send({ code: user.recoveryCodes[0] });
    expect(off.status).toBe(204);
    expect((await me(t, user.accessToken)).body.user.mfaEnabled).toBe(false);
  });

  it('a wrong code to disable is 400 invalid_mfa_code and MFA stays on', async () => {
    const user = await enrolledUser(t);
    const off = await request(t.app).delete('/api/auth/mfa/totp').set(bearer(user.accessToken)).send({ code: 'AAAAA-AAAAA' });
    expectProblem(off, 400, 'invalid_mfa_code');
    expect((await me(t, user.accessToken)).body.user.mfaEnabled).toBe(true);
  });

  it('confirming MFA ends every other session of the user, and keeps the one that confirmed', async () => {
    const user = await signupAndLogin(t.app);
    const other = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
    const bystander = await signupAndLogin(t.app);
    const secret = (await setup(t.app, user.accessToken)).body.secret as string;
    const confirmed = await request(t.app)
      .post('/api/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: currentCode(secret, t.clock), currentPassword: PASSWORD });
    expect(confirmed.status).toBe(200);
    expectProblem(await me(t, other.body.accessToken), 401, 'token_revoked');
    const refreshed = await request(t.app).post('/api/auth/refresh').send({ refreshToken: other.body.refreshToken });
    expectProblem(refreshed, 401, 'invalid_token');
    expect((await me(t, user.accessToken)).status).toBe(200);
    expect((await me(t, bystander.accessToken)).status).toBe(200);
  });
});
