import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prune } from '../../src/runtime.ts';
import { createTestApp, loginAsAdmin, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { bearer, expectProblem } from '../helpers/auth-assertions.ts';

const UA = 'hardening-audit-test/1.0';
const NEW_PASSWORD = 'a completely different passphrase 9';
const DAY = 24 * 3600 * 1000;

interface AuditEventBody {
  id: string;
  type: string;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
  createdAt: string;
}

const EXPECTED_TYPES = [
  'signup',
  'login.success',
  'login.failure',
  'refresh.reuse_detected',
  'logout',
  'logout_all',
  'password.changed',
  'user.roles_changed',
  'user.disabled',
  'user.enabled',
];

describe('audit trail (GET /api/admin/audit)', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof loginAsAdmin>>;
  let userId: string;
  let email: string;
  const secrets: string[] = [];

  const post = (path: string) => request(t.app).post(path).set('User-Agent', UA);
  const audit = (query = '', token = admin.accessToken) =>
    request(t.app).get(`/api/admin/audit${query}`).set('Authorization', bearer(token));

  /** Every event, following nextCursor. */
  async function allEvents(query = ''): Promise<AuditEventBody[]> {
    const events: AuditEventBody[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const sep = query ? '&' : '?';
      const res = await audit(`${query}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      events.push(...(res.body.events as AuditEventBody[]));
      cursor = res.body.nextCursor as string | null;
      if (!cursor) break;
    }
    return events;
  }

  const login = async (password = PASSWORD) => {
    const res = await post('/api/auth/login').send({ email, password });
    if (res.status === 200) secrets.push(res.body.accessToken, res.body.refreshToken);
    return res;
  };

  beforeEach(async () => {
    t = await createTestApp();
    secrets.length = 0;
    admin = await loginAsAdmin(t);
    secrets.push(admin.accessToken);
    email = uniqueEmail('audited');

    // signup
    const signup = await post('/api/auth/signup').send({ email, password: PASSWORD });
    expect(signup.status).toBe(201);
    userId = signup.body.user.id;

    // login.success, login.failure
    const s1 = await login();
    expect(s1.status).toBe(200);
    expect((await login('not the password at all')).status).toBe(401);

    // refresh.reuse_detected
    const rotated = await post('/api/auth/refresh').send({ refreshToken: s1.body.refreshToken });
    expect(rotated.status).toBe(200);
    secrets.push(rotated.body.accessToken, rotated.body.refreshToken);
    const reuse = await post('/api/auth/refresh').send({ refreshToken: s1.body.refreshToken });
    expectProblem(reuse, 401, 'refresh_reused');

    // logout
    const s2 = await login();
    expect((await post('/api/auth/logout').send({ refreshToken: s2.body.refreshToken })).status).toBe(204);

    // password.changed, logout_all
    const s3 = await login();
    const change = await post('/api/auth/password')
      .set('Authorization', bearer(s3.body.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(change.status).toBe(204);
    expect((await post('/api/auth/logout-all').set('Authorization', bearer(s3.body.accessToken))).status).toBe(204);

    // user.roles_changed, user.disabled, user.enabled
    const roles = await request(t.app)
      .put(`/api/admin/users/${userId}/roles`)
      .set('User-Agent', UA)
      .set('Authorization', bearer(admin.accessToken))
      .send({ roles: ['user', 'editor'] });
    expect(roles.status).toBe(200);
    expect((await post(`/api/admin/users/${userId}/disable`).set('Authorization', bearer(admin.accessToken))).status).toBe(204);
    expect((await post(`/api/admin/users/${userId}/enable`).set('Authorization', bearer(admin.accessToken))).status).toBe(204);
  });
  afterEach(() => t.close());

  it('records every security event with user, address, user agent and an ISO time', async () => {
    const events = await allEvents(`?userId=${userId}`);
    const types = new Set(events.map((e) => e.type));
    for (const type of EXPECTED_TYPES) expect(types, `missing ${type}`).toContain(type);
    for (const type of EXPECTED_TYPES) {
      const event = events.find((e) => e.type === type)!;
      expect(event.userId, type).toBe(userId);
      expect(typeof event.ip, type).toBe('string');
      expect(event.ip!.length, type).toBeGreaterThan(0);
      expect(event.userAgent, type).toBe(UA);
      expect(event.createdAt, type).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      expect(new Date(event.createdAt).toISOString(), type).toBe(event.createdAt);
      expect(new Date(event.createdAt).getTime(), type).toBe(t.clock.now());
    }
    // Admin actions name the admin.
    for (const type of ['user.roles_changed', 'user.disabled', 'user.enabled']) {
      expect(events.find((e) => e.type === type)!.actorId, type).toBe(admin.userId);
    }
    // Newest first.
    const ids = events.map((e) => e.id);
    expect([...ids].sort().reverse()).toEqual(ids);
  });

  it('never contains a password or a token', async () => {
    const text = JSON.stringify(await allEvents());
    for (const secret of [PASSWORD, NEW_PASSWORD, 'not the password at all', ...secrets]) {
      expect(secret.length).toBeGreaterThan(0);
      expect(text).not.toContain(secret);
    }
    // Not even a signature part of a token.
    for (const token of secrets) expect(text).not.toContain(token.split('.')[2]!);
  });

  it('filters by userId and by type', async () => {
    const byUser = await allEvents(`?userId=${userId}`);
    expect(byUser.length).toBeGreaterThanOrEqual(EXPECTED_TYPES.length);
    expect(byUser.every((e) => e.userId === userId)).toBe(true);

    const all = await allEvents();
    expect(all.some((e) => e.userId !== userId)).toBe(true);

    const failures = await allEvents('?type=login.failure');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((e) => e.type === 'login.failure')).toBe(true);

    const both = await allEvents(`?userId=${userId}&type=login.success`);
    expect(both).toHaveLength(3);
    expect(both.every((e) => e.type === 'login.success' && e.userId === userId)).toBe(true);
  });

  it('paginates with limit and nextCursor', async () => {
    const all = await allEvents();
    expect(all.length).toBeGreaterThan(4);

    const first = await audit('?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.events).toHaveLength(2);
    expect(typeof first.body.nextCursor).toBe('string');
    const second = await audit(`?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.status).toBe(200);
    expect(second.body.events).toHaveLength(2);
    const firstIds = first.body.events.map((e: AuditEventBody) => e.id);
    const secondIds = second.body.events.map((e: AuditEventBody) => e.id);
    expect(firstIds.filter((id: string) => secondIds.includes(id))).toEqual([]);

    const paged = await allEvents('?limit=2');
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
    // The last page says there is no more.
    const last = await audit(`?limit=${all.length}`);
    expect(last.body.nextCursor).toBeNull();
  });

  it('refuses non-admins (403) and bad filters (400)', async () => {
    const user = await post('/api/auth/login').send({ email, password: NEW_PASSWORD });
    expect(user.status).toBe(200);
    expectProblem(await audit('', user.body.accessToken), 403, 'insufficient_role');
    expectProblem(await audit('?type=no.such.type'), 400, 'validation_failed');
    expectProblem(await audit('?userId=not-an-id'), 400, 'validation_failed');
    expectProblem(await audit('?limit=0'), 400, 'validation_failed');
    expectProblem(await audit('?cursor=garbage'), 400, 'validation_failed');
    const anonymous = await request(t.app).get('/api/admin/audit');
    expect(anonymous.status).toBe(401);
  });

  it('prunes events older than the retention (90 days)', async () => {
    const old = await allEvents();
    expect(old.length).toBeGreaterThan(0);

    t.clock.advance(91 * DAY);
    const result = await prune(t.runtime.database, t.config, t.clock);
    expect(result.auditEvents).toBe(old.length);

    // A fresh admin token (the old one expired) writes a new event, which stays.
    const fresh = await loginAsAdmin(t);
    await prune(t.runtime.database, t.config, t.clock);
    const res = await request(t.app).get('/api/admin/audit?limit=200').set('Authorization', bearer(fresh.accessToken));
    expect(res.status).toBe(200);
    const events = res.body.events as AuditEventBody[];
    const oldIds = new Set(old.map((e) => e.id));
    expect(events.filter((e) => oldIds.has(e.id))).toEqual([]);
    expect(events.some((e) => e.type === 'login.success' && e.userId === fresh.userId)).toBe(true);
  });

  it('keeps events younger than the retention', async () => {
    const old = await allEvents();
    t.clock.advance(89 * DAY);
    const result = await prune(t.runtime.database, t.config, t.clock);
    expect(result.auditEvents).toBe(0);
    const count = await t.runtime.database.db
      .selectFrom('auditEvents')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(old.length);
  });
});
