import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jwtPayload } from '../helpers/cookies.ts';
import { expectProblem } from '../helpers/problem-assertions.ts';
import { createTestApp, loginAsAdmin, PASSWORD, signupAndLogin, type TestApp } from '../helpers/test-app.ts';
import { bearer, currentCode, enrolledUser, mfaLogin } from './mfa-helpers.ts';

describe('POST /api/admin/users/:id/mfa/reset', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const reset = (token: string, id: string) => request(t.app).post(`/api/admin/users/${id}/mfa/reset`).set(bearer(token));

  it('removes MFA and ends every session of the user; login works with the password alone', async () => {
    const admin = await loginAsAdmin(t);
    const user = await enrolledUser(t);
    const second = await mfaLogin(t.app, user.email, currentCode(user.secret, t.clock));

    const res = await reset(admin.accessToken, user.userId);
    expect(res.status).toBe(204);
    for (const token of [user.accessToken, second.body.accessToken as string]) {
      expectProblem(await request(t.app).get('/api/auth/me').set(bearer(token)), 401, 'token_revoked');
    }
    expectProblem(await request(t.app).post('/api/auth/refresh').send({ refreshToken: second.body.refreshToken }), 401, 'invalid_token');

    const login = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.mfaRequired).toBeUndefined();
    expect(login.body.user.mfaEnabled).toBe(false);
    expect(jwtPayload(login.body.accessToken).amr).toEqual(['pwd']);
    // The old recovery codes are gone with it; the user may enrol again.
    const again = await request(t.app)
      .post('/api/auth/mfa/totp/setup')
      .set(bearer(login.body.accessToken))
      .send({ currentPassword: PASSWORD });
    expect(again.status).toBe(200);
    expect(again.body.secret).not.toBe(user.secret);

    const rows = await t.runtime.database.db.selectFrom('mfaRecoveryCodes').select('codeHash').where('userId', '=', user.userId).execute();
    expect(rows).toEqual([]);
    const audit = await request(t.app).get(`/api/admin/audit?userId=${user.userId}&type=mfa.reset`).set(bearer(admin.accessToken));
    expect(audit.body.events).toHaveLength(1);
    expect(audit.body.events[0]).toMatchObject({ actorId: admin.userId, details: { wasEnabled: true, sessionsEnded: 2, via: 'api' } });
  });

  it('ends a pending mfaToken too', async () => {
    const admin = await loginAsAdmin(t);
    const user = await enrolledUser(t);
    const first = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
    expect((await reset(admin.accessToken, user.userId)).status).toBe(204);
    const verify = await request(t.app)
      .post('/api/auth/mfa/verify')
      .send({ mfaToken: first.body.mfaToken, code: currentCode(user.secret, t.clock) });
    expectProblem(verify, 401, 'invalid_token');
  });

  it('is for admins only, and 404 for an unknown user', async () => {
    const admin = await loginAsAdmin(t);
    const user = await signupAndLogin(t.app);
    expectProblem(await reset(user.accessToken, user.userId), 403, 'insufficient_role');
    expectProblem(await request(t.app).post(`/api/admin/users/${user.userId}/mfa/reset`), 401, 'missing_token');
    expectProblem(await reset(admin.accessToken, '0190aaaa-0000-7000-8000-000000000000'), 404, 'not_found');
  });
});
