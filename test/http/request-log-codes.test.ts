import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, withBadSignature } from '../helpers/auth-assertions.ts';
import { createTestApp, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

type Line = Record<string, unknown> & { req?: { method: string; path: string }; res?: { status: number } };

/** The request line of the request with this id (request lines carry `req` and `res`). */
function lineOf(t: TestApp, requestId: string): Line {
  const line = t.logs
    .map((text) => JSON.parse(text) as Line)
    .find((l) => l.req !== undefined && l.res !== undefined && l.requestId === requestId);
  if (!line) throw new Error(`no request line for ${requestId}`);
  return line;
}

const logged = (t: TestApp, res: request.Response) => {
  const line = lineOf(t, res.headers['x-request-id'] as string);
  return { status: line.res?.status, code: line.code, reason: line.reason, msg: line.msg };
};

/** What a client can see of an answer, but for what differs between any two requests (the IP limit's count goes down). */
const VARYING = new Set(['date', 'x-request-id', 'ratelimit']);
const clientView = (res: request.Response) => {
  const headers = Object.entries(res.headers as Record<string, unknown>).filter(([name]) => !VARYING.has(name));
  return { status: res.status, headers, body: res.text };
};

describe('request log: the problem code, and why a credential was refused', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('login failures: unknown email, wrong password, disabled and locked out each log their own reason; the first two answer alike', async () => {
    // A low account limit, so that a lock-out is a few requests away.
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '3' });
    const user = await signupAndLogin(t.app);
    const unknown = await request(t.app)
      .post('/api/auth/login')
      .send({ email: uniqueEmail('nobody'), password: PASSWORD });
    const wrong = await request(t.app).post('/api/auth/login').send({ email: user.email, password: 'not the password at all' });

    expect(clientView(unknown)).toEqual(clientView(wrong));
    expect(unknown.body.code).toBe('invalid_credentials');
    expect(logged(t, unknown)).toMatchObject({ status: 401, code: 'invalid_credentials', reason: 'unknown_email' });
    expect(logged(t, wrong)).toMatchObject({ status: 401, code: 'invalid_credentials', reason: 'wrong_password' });
    expect(logged(t, wrong).msg).toMatch(/^POST \/api\/auth\/login 401 \d+ms invalid_credentials$/);
    // Nothing of the reason reaches the client.
    for (const res of [unknown, wrong]) expect(JSON.stringify(res.headers) + res.text).not.toMatch(/unknown_email|wrong_password/);

    await t.runtime.database.db.updateTable('users').set({ disabled: 1 }).where('id', '=', user.userId).execute();
    const disabled = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
    expect(logged(t, disabled)).toMatchObject({ status: 403, code: 'account_disabled', reason: 'disabled' });

    // Two more wrong passwords reach the limit of 3; the next attempt finds the account locked.
    for (let i = 0; i < 2; i++)
      await request(t.app)
        .post('/api/auth/login')
        .send({ email: user.email, password: `wrong ${i}` });
    const locked = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
    expect(logged(t, locked)).toMatchObject({ status: 429, code: 'rate_limited', reason: 'locked_out:login' });
  });

  it('access tokens: missing, garbage, bad signature, revoked and expired are told apart', async () => {
    t = await createTestApp();
    const get = (authorization?: string) => {
      const req = request(t.app).get('/api/auth/me');
      return authorization ? req.set('Authorization', authorization) : req;
    };
    const user = await signupAndLogin(t.app);
    const ok = await get(bearer(user.accessToken));
    expect(ok.status).toBe(200);
    const fine = lineOf(t, ok.headers['x-request-id'] as string);
    expect(fine.code).toBeUndefined();
    expect(fine.reason).toBeUndefined();

    const kinds = {
      missing: await get(),
      garbage: await get(bearer('not-a-token-at-all')),
      badSignature: await get(bearer(withBadSignature(user.accessToken))),
    };
    const other = await signupAndLogin(t.app);
    expect((await request(t.app).post('/api/auth/logout-all').set('Authorization', bearer(other.accessToken))).status).toBe(204);
    const revoked = await get(bearer(other.accessToken));
    t.clock.advance((t.config.jwt.accessTtl + t.config.jwt.clockTolerance + 1) * 1000);
    const expired = await get(bearer(user.accessToken));

    const lines = Object.fromEntries(Object.entries({ ...kinds, revoked, expired }).map(([kind, res]) => [kind, logged(t, res)]));
    expect(lines).toMatchObject({
      missing: { status: 401, code: 'missing_token' },
      garbage: { status: 401, code: 'invalid_token', reason: 'The token is not a signed JWT.' },
      badSignature: { status: 401, code: 'invalid_token', reason: 'The token signature is invalid.' },
      revoked: { status: 401, code: 'token_revoked' },
      expired: { status: 401, code: 'token_expired' },
    });
    const explanations = Object.values(lines).map((l) => `${String(l.code)} ${String(l.reason)}`);
    expect(new Set(explanations).size).toBe(explanations.length);
  });

  it('every other problem answer carries its code: 404, 400, 405', async () => {
    t = await createTestApp();
    const notFound = await request(t.app).get('/api/no-such-thing');
    const invalid = await request(t.app).post('/api/auth/signup').send({ email: 'not an address', password: 'x' });
    const wrongMethod = await request(t.app).delete('/api/auth/login');
    expect(logged(t, notFound)).toMatchObject({ status: 404, code: 'not_found' });
    expect(logged(t, invalid)).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(logged(t, wrongMethod)).toMatchObject({ status: 405, code: 'method_not_allowed' });
    // Outside a 401 a reason is only logged where one was given.
    expect(logged(t, invalid).reason).toBeUndefined();
  });
});
