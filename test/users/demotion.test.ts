import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, loginAsAdmin, openSecondInstance, PASSWORD, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

const bearer = (token: string) => `Bearer ${token}`;

describe('roles and admins (v2)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const setRoles = (token: string, id: string, roles: string[]) =>
    request(t.app).put(`/api/admin/users/${id}/roles`).set('Authorization', bearer(token)).send({ roles });

  it('a demoted admin loses the admin API at once: old token token_revoked, no self-promotion, no disabling the demoter', async () => {
    const a = await loginAsAdmin(t);
    const m = await signupAndLogin(t.app);
    expect((await setRoles(a.accessToken, m.userId, ['user', 'admin'])).status).toBe(200);
    const mAdmin = await request(t.app).post('/api/auth/login').send({ email: m.email, password: PASSWORD });
    expect(mAdmin.body.user.roles).toEqual(['user', 'admin']);
    const token = mAdmin.body.accessToken as string;
    expect((await request(t.app).get('/api/admin/users').set('Authorization', bearer(token))).status).toBe(200);

    expect((await setRoles(a.accessToken, m.userId, ['user'])).status).toBe(200);

    const list = await request(t.app).get('/api/admin/users').set('Authorization', bearer(token));
    expect(list.status).toBe(401);
    expect(list.body.code).toBe('token_revoked');
    const promote = await setRoles(token, m.userId, ['user', 'admin']);
    expect(promote.status).toBe(401);
    expect(promote.body.code).toBe('token_revoked');
    const coup = await request(t.app).post(`/api/admin/users/${a.userId}/disable`).set('Authorization', bearer(token));
    expect(coup.status).toBe(401);
    // Their refresh token is gone too; a new login carries only the new roles.
    expect((await request(t.app).post('/api/auth/refresh').send({ refreshToken: mAdmin.body.refreshToken })).status).toBe(401);
    const again = await request(t.app).post('/api/auth/login').send({ email: m.email, password: PASSWORD });
    expect(again.body.user.roles).toEqual(['user']);
    expect((await request(t.app).get('/api/admin').set('Authorization', bearer(again.body.accessToken))).body.code).toBe(
      'insufficient_role',
    );
    // The admin is untouched.
    expect((await request(t.app).get('/api/admin').set('Authorization', bearer(a.accessToken))).status).toBe(200);
  });

  it('the demotion reaches another instance within a second', async () => {
    const second = await openSecondInstance(t);
    try {
      const a = await loginAsAdmin(t);
      const m = await signupAndLogin(t.app);
      await setRoles(a.accessToken, m.userId, ['user', 'editor']);
      const login = await request(t.app).post('/api/auth/login').send({ email: m.email, password: PASSWORD });
      const token = login.body.accessToken as string;
      expect((await request(second.app).get('/api/protected').set('Authorization', bearer(token))).status).toBe(200);

      expect((await setRoles(a.accessToken, m.userId, ['user'])).status).toBe(200);
      await vi.waitFor(
        async () => {
          await second.runtime.revocations.poll();
          const res = await request(second.app).get('/api/protected').set('Authorization', bearer(token));
          expect(res.body.code).toBe('token_revoked');
        },
        { timeout: 1000, interval: 50 },
      );
    } finally {
      await second.runtime.close();
    }
  });

  it('adding a role ends no session; the next refresh carries it', async () => {
    const a = await loginAsAdmin(t);
    const m = await signupAndLogin(t.app);
    expect((await setRoles(a.accessToken, m.userId, ['user', 'editor'])).status).toBe(200);
    expect((await request(t.app).get('/api/protected').set('Authorization', bearer(m.accessToken))).status).toBe(200);
    const refreshed = await request(t.app).post('/api/auth/refresh').send({ refreshToken: m.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.user.roles).toEqual(['user', 'editor']);
  });

  it('the last enabled admin can neither drop the admin role nor be disabled: 409 last_admin', async () => {
    const a = await loginAsAdmin(t);
    const selfDemote = await setRoles(a.accessToken, a.userId, ['user']);
    expect(selfDemote.status).toBe(409);
    expect(selfDemote.body.code).toBe('last_admin');
    expect(selfDemote.headers['content-type']).toMatch(/application\/problem\+json/);
    const selfDisable = await request(t.app).post(`/api/admin/users/${a.userId}/disable`).set('Authorization', bearer(a.accessToken));
    expect(selfDisable.status).toBe(409);
    expect(selfDisable.body.code).toBe('last_admin');
    // Nothing changed: still an admin, sessions alive.
    expect((await request(t.app).get('/api/admin').set('Authorization', bearer(a.accessToken))).status).toBe(200);

    // A disabled admin does not count: with B disabled, A is still the last enabled one.
    const b = await signupAndLogin(t.app);
    expect((await setRoles(a.accessToken, b.userId, ['user', 'admin'])).status).toBe(200);
    expect((await request(t.app).post(`/api/admin/users/${b.userId}/disable`).set('Authorization', bearer(a.accessToken))).status).toBe(
      204,
    );
    expect((await setRoles(a.accessToken, a.userId, ['user'])).body.code).toBe('last_admin');

    // With B enabled again there are two, and A may step down.
    expect((await request(t.app).post(`/api/admin/users/${b.userId}/enable`).set('Authorization', bearer(a.accessToken))).status).toBe(204);
    expect((await setRoles(a.accessToken, a.userId, ['user'])).status).toBe(200);
  });

  it('two admins demoting each other at once: exactly one succeeds, one admin remains', async () => {
    const a = await loginAsAdmin(t);
    const b = await loginAsAdmin(t);
    const [ab, ba] = await Promise.all([setRoles(a.accessToken, b.userId, ['user']), setRoles(b.accessToken, a.userId, ['user'])]);
    const statuses = [ab.status, ba.status].sort();
    // One wins; the other is either refused as last admin or finds its own token revoked by the winner.
    expect(statuses[0]).toBe(200);
    expect([401, 409]).toContain(statuses[1]);
    const admins = await t.runtime.database.db.selectFrom('users').select('roles').where('roles', 'like', '%"admin"%').execute();
    expect(admins).toHaveLength(1);
  });

  it('every admin change is an audit event naming the admin who made it', async () => {
    const a = await loginAsAdmin(t);
    const m = await signupAndLogin(t.app);
    await setRoles(a.accessToken, m.userId, ['user', 'editor']);
    await request(t.app).post(`/api/admin/users/${m.userId}/disable`).set('Authorization', bearer(a.accessToken));
    await request(t.app).post(`/api/admin/users/${m.userId}/enable`).set('Authorization', bearer(a.accessToken));
    const events = await t.runtime.database.db
      .selectFrom('auditEvents')
      .selectAll()
      .where('userId', '=', m.userId)
      .where('type', 'in', ['user.roles_changed', 'user.disabled', 'user.enabled'])
      .orderBy('id')
      .execute();
    // One frozen millisecond: ids (UUIDv7) do not order these, so compare as a set.
    expect(events.map((e) => e.type).sort()).toEqual(['user.disabled', 'user.enabled', 'user.roles_changed']);
    for (const event of events) {
      expect(event.actorId).toBe(a.userId);
      expect(JSON.parse(event.details!)).toMatchObject({ via: 'api' });
    }
  });
});
