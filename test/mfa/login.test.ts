import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cookieValue, jwtPayload, setCookies } from '../helpers/cookies.ts';
import { expectProblem } from '../helpers/problem-assertions.ts';
import { createTestApp, PASSWORD, signupAndLogin, type TestApp } from '../helpers/test-app.ts';
import { bearer, codeAt, currentCode, enrolledUser, mfaLogin, passwordStep, STEP_MS, verify } from './mfa-helpers.ts';

describe('the second step of a login', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('a TOTP code is accepted once: the same code again (another login, same step) is refused', async () => {
    const user = await enrolledUser(t);
    const code = currentCode(user.secret, t.clock);
    await mfaLogin(t.app, user.email, code);
    const again = await verify(t.app, await passwordStep(t.app, user.email), code);
    expectProblem(again, 401, 'invalid_mfa_code');
    expect(again.headers['www-authenticate']).toBeUndefined();
    // Still refused later in the window, and so is the code of the step before.
    t.clock.advance(STEP_MS);
    const late = await verify(t.app, await passwordStep(t.app, user.email), code);
    expectProblem(late, 401, 'invalid_mfa_code');
    // The next step's code works.
    await mfaLogin(t.app, user.email, currentCode(user.secret, t.clock));
  });

  it('a code from ±1 step is accepted; two steps away is not', async () => {
    const user = await enrolledUser(t);
    t.clock.advance(5 * STEP_MS);
    const stale = await verify(t.app, await passwordStep(t.app, user.email), codeAt(user.secret, t.clock.now() - 2 * STEP_MS));
    expectProblem(stale, 401, 'invalid_mfa_code');
    await mfaLogin(t.app, user.email, codeAt(user.secret, t.clock.now() - STEP_MS));
  });

  it('a recovery code works once, in any case and spacing, and then never again', async () => {
    const user = await enrolledUser(t);
    const [first, second] = user.recoveryCodes;
    const res = await mfaLogin(t.app, user.email, ` ${first!.toLowerCase()} `);
    expect(jwtPayload(res.body.accessToken).amr).toEqual(['pwd', 'otp']);
    const again = await verify(t.app, await passwordStep(t.app, user.email), first!);
    expectProblem(again, 401, 'invalid_mfa_code');
    await mfaLogin(t.app, user.email, second!.replace('-', ''));
  });

  it('new recovery codes replace the old set (the old ones stop working) and end every other session', async () => {
    const user = await enrolledUser(t);
    const other = await mfaLogin(t.app, user.email, user.recoveryCodes[0]!);
    const fresh = await request(t.app)
      .post('/api/auth/mfa/recovery-codes')
      .set(bearer(user.accessToken))
      .send({ code: currentCode(user.secret, t.clock), currentPassword: PASSWORD });
    expect(fresh.status).toBe(200);
    expect(fresh.body.recoveryCodes).toHaveLength(10);
    expect(fresh.body.recoveryCodes).not.toContain(user.recoveryCodes[1]);
    expectProblem(await request(t.app).get('/api/auth/me').set(bearer(other.body.accessToken)), 401, 'token_revoked');
    expect((await request(t.app).get('/api/auth/me').set(bearer(user.accessToken))).status).toBe(200);
    const old = await verify(t.app, await passwordStep(t.app, user.email), user.recoveryCodes[1]!);
    expectProblem(old, 401, 'invalid_mfa_code');
    await mfaLogin(t.app, user.email, fresh.body.recoveryCodes[0]);
  });

  it('an mfaToken works once: used, it is 401 invalid_token even with a fresh valid code', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t.app, user.email);
    expect((await verify(t.app, mfaToken, currentCode(user.secret, t.clock))).status).toBe(200);
    t.clock.advance(STEP_MS);
    const reused = await verify(t.app, mfaToken, currentCode(user.secret, t.clock));
    expectProblem(reused, 401, 'invalid_token');
    expect(reused.headers['www-authenticate']).toBeUndefined();
  });

  it('an mfaToken expires after 5 minutes; a wrong code before that leaves it usable', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t.app, user.email);
    const wrong = await verify(t.app, mfaToken, 'ZZZZZ-ZZZZZ');
    expectProblem(wrong, 401, 'invalid_mfa_code');
    t.clock.advance(5 * 60_000 + 1000);
    const expired = await verify(t.app, mfaToken, currentCode(user.secret, t.clock));
    expectProblem(expired, 401, 'invalid_token');
    const fresh = await passwordStep(t.app, user.email);
    t.clock.advance(5 * 60_000 - 1000);
    expect((await verify(t.app, fresh, currentCode(user.secret, t.clock))).status).toBe(200);
  });

  it('an unknown or garbage mfaToken is 401 invalid_token', async () => {
    const user = await enrolledUser(t);
    for (const token of ['x', 'A'.repeat(43), `${await passwordStep(t.app, user.email)}x`]) {
      expectProblem(await verify(t.app, token, currentCode(user.secret, t.clock)), 401, 'invalid_token');
    }
  });

  it("another user's valid code does not finish this user's login", async () => {
    const alice = await enrolledUser(t);
    const bob = await enrolledUser(t);
    const bobCode = currentCode(bob.secret, t.clock);
    const aliceWindow = [-1, 0, 1].map((d) => codeAt(alice.secret, t.clock.now() + d * STEP_MS));
    if (aliceWindow.includes(bobCode)) return; // one chance in ~300,000: nothing to show
    const mfaToken = await passwordStep(t.app, alice.email);
    expectProblem(await verify(t.app, mfaToken, bobCode), 401, 'invalid_mfa_code');
    expectProblem(await verify(t.app, mfaToken, bob.recoveryCodes[0]!), 401, 'invalid_mfa_code');
    // Bob's code is still his to use (it was not consumed on Alice's account).
    await mfaLogin(t.app, bob.email, bobCode);
  });

  it('a wrong password still says invalid_credentials, and gives no challenge', async () => {
    const user = await enrolledUser(t);
    const res = await request(t.app).post('/api/auth/login').send({ email: user.email, password: 'not the password at all' });
    expectProblem(res, 401, 'invalid_credentials');
  });

  it('amr: ["pwd"] without MFA and ["pwd", "otp"] with it, before and after refresh', async () => {
    const plain = await signupAndLogin(t.app);
    expect(jwtPayload(plain.accessToken).amr).toEqual(['pwd']);
    const plainRefreshed = await request(t.app).post('/api/auth/refresh').send({ refreshToken: plain.refreshToken });
    expect(jwtPayload(plainRefreshed.body.accessToken).amr).toEqual(['pwd']);

    const user = await enrolledUser(t);
    const login = await mfaLogin(t.app, user.email, currentCode(user.secret, t.clock));
    expect(jwtPayload(login.body.accessToken).amr).toEqual(['pwd', 'otp']);
    let refreshToken = login.body.refreshToken as string;
    for (let i = 0; i < 2; i += 1) {
      t.clock.advance(60_000);
      const refreshed = await request(t.app).post('/api/auth/refresh').send({ refreshToken });
      expect(refreshed.status).toBe(200);
      expect(jwtPayload(refreshed.body.accessToken).amr).toEqual(['pwd', 'otp']);
      refreshToken = refreshed.body.refreshToken;
    }
    // The session the user enrolled from was a password login: it stays so.
    const enrolling = await request(t.app).post('/api/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(jwtPayload(enrolling.body.accessToken).amr).toEqual(['pwd']);
  });

  it('audits each step', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t.app, user.email);
    await verify(t.app, mfaToken, 'ZZZZZ-ZZZZZ');
    await verify(t.app, mfaToken, currentCode(user.secret, t.clock));
    const rows = await t.runtime.database.db
      .selectFrom('auditEvents')
      .select(['type', 'details'])
      .where('userId', '=', user.userId)
      .orderBy('id')
      .execute();
    const types = rows.map((row) => row.type);
    for (const type of ['mfa.setup_started', 'mfa.enabled', 'mfa.challenged', 'mfa.failure', 'mfa.verified', 'login.success']) {
      expect(types, type).toContain(type);
    }
    expect(JSON.parse(rows.find((row) => row.type === 'mfa.verified')!.details!)).toMatchObject({ method: 'totp' });
  });
});

describe('wrong codes and the account throttle', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '3' });
  });
  afterEach(() => t.close());

  it('a guessing run on one mfaToken gets 429 rate_limited, then even the right code waits', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t.app, user.email);
    const right = currentCode(user.secret, t.clock);
    const guesses = ['000000', '111111', '222222', '333333', '444444'].filter(
      (g) => ![-1, 0, 1].some((d) => codeAt(user.secret, t.clock.now() + d * STEP_MS) === g),
    );
    for (const guess of guesses.slice(0, 3)) expectProblem(await verify(t.app, mfaToken, guess), 401, 'invalid_mfa_code');
    const limited = await verify(t.app, mfaToken, guesses[3]!);
    expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expectProblem(await verify(t.app, mfaToken, right), 429, 'rate_limited');
    // A new login does not give a new budget: the count is the account's.
    expectProblem(await verify(t.app, await passwordStep(t.app, user.email), right), 429, 'rate_limited');
  });

  it('wrong codes on the Bearer endpoints count too: a stolen access token cannot guess its way to turning MFA off', async () => {
    const user = await enrolledUser(t);
    for (let i = 0; i < 3; i += 1) {
      const res = await request(t.app).delete('/api/auth/mfa/totp').set(bearer(user.accessToken)).send({ code: 'ZZZZZ-ZZZZ0' });
      expectProblem(res, 400, 'invalid_mfa_code');
    }
    const limited = await request(t.app)
      .delete('/api/auth/mfa/totp')
      .set(bearer(user.accessToken))
      .send({ code: currentCode(user.secret, t.clock) });
    expectProblem(limited, 429, 'rate_limited');
  });
});

describe.each(['cookie', 'both'] as const)('REFRESH_TOKEN_TRANSPORT=%s', (transport) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ REFRESH_TOKEN_TRANSPORT: transport });
  });
  afterEach(() => t.close());

  it('sets no cookie on the first step, and the cookies login sets (device included) at mfa/verify', async () => {
    const user = await enrolledUser(t);
    const first = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
    expect(first.body.mfaRequired).toBe(true);
    expect(setCookies(first)).toEqual([]);

    const second = await verify(t.app, first.body.mfaToken, currentCode(user.secret, t.clock));
    expect(second.status).toBe(200);
    const lines = setCookies(second);
    const refresh = cookieValue(lines, 'refresh_token');
    const csrf = cookieValue(lines, 'csrf_token');
    expect(refresh).toBeDefined();
    expect(csrf).toBe(second.body.csrfToken);
    expect(cookieValue(lines, 'device')).toBeDefined();
    expect(lines.find((line) => line.startsWith('refresh_token='))).toMatch(/HttpOnly/);
    if (transport === 'cookie') expect(second.body.refreshToken).toBeUndefined();
    else expect(second.body.refreshToken).toBe(refresh);
    expect(second.headers['cache-control']).toMatch(/no-store/);

    // The cookie-borne refresh works with the CSRF token, and keeps amr.
    const refreshed = await request(t.app)
      .post('/api/auth/refresh')
      .set('Cookie', `refresh_token=${refresh}; csrf_token=${csrf}`)
      .set('X-CSRF-Token', csrf!);
    expect(refreshed.status).toBe(200);
    expect(jwtPayload(refreshed.body.accessToken).amr).toEqual(['pwd', 'otp']);
  });
});

describe('REFRESH_TOKEN_TRANSPORT=body', () => {
  it('mfa/verify sets no cookie and answers like login', async () => {
    const t = await createTestApp({ REFRESH_TOKEN_TRANSPORT: 'body' });
    try {
      const user = await enrolledUser(t);
      const second = await mfaLogin(t.app, user.email, currentCode(user.secret, t.clock));
      expect(setCookies(second)).toEqual([]);
      expect(Object.keys(second.body).sort()).toEqual([
        'accessToken',
        'expiresIn',
        'refreshExpiresIn',
        'refreshToken',
        'tokenType',
        'user',
      ]);
    } finally {
      await t.close();
    }
  });
});
