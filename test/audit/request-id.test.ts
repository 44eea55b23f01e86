import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth-assertions.ts';
import { createTestApp, loginAsAdmin, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

interface Event {
  type: string;
  userId: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
}

describe('audit events carry the id of the request that wrote them', () => {
  let t: TestApp;
  let admin: { accessToken: string; userId: string };
  beforeEach(async () => {
    t = await createTestApp();
    admin = await loginAsAdmin(t);
  });
  afterEach(() => t.close());

  const audit = async (query: Record<string, string>): Promise<Event[]> => {
    const res = await request(t.app).get('/api/admin/audit').query(query).set('Authorization', bearer(admin.accessToken));
    expect(res.status).toBe(200);
    return res.body.events as Event[];
  };

  const requestLine = (id: string) =>
    t.logs.map((text) => JSON.parse(text) as Record<string, unknown>).find((line) => line.res !== undefined && line.requestId === id);

  it("a proxy's X-Request-Id: the same id in the log line and the event, and the admin API finds the event by it", async () => {
    const user = await signupAndLogin(t.app);
    const failed = await request(t.app)
      .post('/api/auth/login')
      .set('X-Request-Id', 'edge-7f3a.42')
      .send({ email: user.email, password: 'not the password at all' });
    expect(failed.status).toBe(401);
    expect(requestLine('edge-7f3a.42')).toMatchObject({ code: 'invalid_credentials', reason: 'wrong_password' });

    const [event] = await audit({ type: 'login.failure' });
    expect(event).toMatchObject({
      type: 'login.failure',
      userId: user.userId,
      requestId: 'edge-7f3a.42',
      details: { reason: 'wrong_password' },
    });
    expect(await audit({ requestId: 'edge-7f3a.42' })).toEqual([event]);
    expect(await audit({ requestId: 'no-such-request' })).toEqual([]);
  });

  it('without one, the generated id of the response and the log line; admin actions too', async () => {
    const email = uniqueEmail('audited');
    const signup = await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD });
    const signupId = signup.headers['x-request-id'] as string;
    expect(signupId).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestLine(signupId)).toBeDefined();
    const userId = signup.body.user.id as string;

    const disable = await request(t.app).post(`/api/admin/users/${userId}/disable`).set('Authorization', bearer(admin.accessToken));
    expect(disable.status).toBe(204);

    const events = await audit({ userId });
    const byType = Object.fromEntries(events.map((e) => [e.type, e.requestId]));
    // Signup writes two events (the account, the verification mail), both under its request.
    expect(byType).toEqual({
      signup: signupId,
      'email.verification_sent': signupId,
      'user.disabled': disable.headers['x-request-id'],
    });
  });

  it('a request id that is not one is refused by the filter', async () => {
    const res = await request(t.app).get('/api/admin/audit').query({ requestId: 'x y' }).set('Authorization', bearer(admin.accessToken));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
  });
});
