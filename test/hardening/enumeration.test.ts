import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, loginAsAdmin, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { bearer, expectProblem } from '../helpers/auth-assertions.ts';

const login = (t: TestApp, email: string, password: string) => request(t.app).post('/api/auth/login').send({ email, password });

/** Headers minus the per-request noise: Date and the client rate-limit counter (RateLimit). */
const comparable = (res: request.Response): Record<string, unknown> => {
  const headers: Record<string, unknown> = { ...res.headers };
  delete headers.date;
  delete headers.ratelimit;
  // Unique per request by design (and present, in the same form, on both).
  expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  delete headers['x-request-id'];
  return headers;
};

describe('account enumeration', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  async function signup(email = uniqueEmail(), password = PASSWORD) {
    const res = await request(t.app).post('/api/auth/signup').send({ email, password });
    expect(res.status).toBe(201);
    return { email, password, userId: res.body.user.id as string };
  }

  it('answers an unknown email and a wrong password identically, five times each', async () => {
    const user = await signup();
    const unknown: request.Response[] = [];
    const wrong: request.Response[] = [];
    for (let i = 0; i < 5; i++) {
      unknown.push(await login(t, uniqueEmail('ghost'), `${PASSWORD} ${i}`));
      wrong.push(await login(t, user.email, `${PASSWORD} ${i}`));
    }
    const reference = unknown[0]!;
    expectProblem(reference, 401, 'invalid_credentials');
    for (const res of [...unknown, ...wrong]) {
      expectProblem(res, 401, 'invalid_credentials');
      expect(res.status).toBe(reference.status);
      expect(res.body).toEqual(reference.body);
      expect(res.text).toBe(reference.text);
      // Same header names (including Date and RateLimit) ...
      expect(Object.keys(res.headers).sort()).toEqual(Object.keys(reference.headers).sort());
      // ... and same values apart from Date and RateLimit.
      expect(comparable(res)).toEqual(comparable(reference));
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    // The RateLimit header differs only in its counters.
    const shape = (res: request.Response) =>
      String(res.headers.ratelimit ?? '')
        .replace(/remaining=\d+/, 'remaining=N')
        .replace(/reset=\d+/, 'reset=N');
    for (const res of [...unknown, ...wrong]) expect(shape(res)).toBe(shape(reference));
  });

  it('a disabled account: wrong password -> 401 invalid_credentials, right password -> 403 account_disabled', async () => {
    const user = await signup();
    const admin = await loginAsAdmin(t);
    const disable = await request(t.app).post(`/api/admin/users/${user.userId}/disable`).set('Authorization', bearer(admin.accessToken));
    expect(disable.status).toBe(204);

    const wrong = await login(t, user.email, `${PASSWORD}!`);
    expectProblem(wrong, 401, 'invalid_credentials');
    const unknown = await login(t, uniqueEmail('ghost'), `${PASSWORD}!`);
    expect(wrong.body).toEqual(unknown.body);
    expect(comparable(wrong)).toEqual(comparable(unknown));

    const right = await login(t, user.email, PASSWORD);
    expectProblem(right, 403, 'account_disabled');
    expect(right.body).not.toHaveProperty('accessToken');
  });
});
