import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, loginAsAdmin, PASSWORD, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

const UNKNOWN_ID = '0190a0b0-0000-7000-8000-000000000000';
const bearer = (token: string) => `Bearer ${token}`;

function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

type Call = { name: string; send: (t: TestApp, token: string | undefined, id: string) => request.Test };
const withAuth = (req: request.Test, token: string | undefined) => (token ? req.set('Authorization', bearer(token)) : req);

const ENDPOINTS: Call[] = [
  { name: 'GET /api/admin', send: (t, token) => withAuth(request(t.app).get('/api/admin'), token) },
  { name: 'GET /api/admin/users', send: (t, token) => withAuth(request(t.app).get('/api/admin/users'), token) },
  {
    name: 'PUT /api/admin/users/:id/roles',
    send: (t, token, id) => withAuth(request(t.app).put(`/api/admin/users/${id}/roles`), token).send({ roles: ['user', 'admin'] }),
  },
  {
    name: 'POST /api/admin/users/:id/disable',
    send: (t, token, id) => withAuth(request(t.app).post(`/api/admin/users/${id}/disable`), token),
  },
  {
    name: 'POST /api/admin/users/:id/enable',
    send: (t, token, id) => withAuth(request(t.app).post(`/api/admin/users/${id}/enable`), token),
  },
];

describe('admin API', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  describe('access control', () => {
    it('a valid token without the admin role gets 403 insufficient_role on every admin endpoint, and changes nothing', async () => {
      const user = await signupAndLogin(t.app);
      for (const endpoint of ENDPOINTS) {
        const res = await endpoint.send(t, user.accessToken, user.userId);
        expect(res.status, endpoint.name).toBe(403);
        expect(res.body.code, endpoint.name).toBe('insufficient_role');
        expect(res.headers['content-type'], endpoint.name).toMatch(/application\/problem\+json/);
      }
      // The self-promotion attempt did nothing.
      const login = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
      expect(login.body.user.roles).toEqual(['user']);
      expect(jwtPayload(login.body.accessToken).roles).toEqual(['user']);
    });

    it('an unknown path under /api/admin asks for an admin first (401, then 403), and only then says 404', async () => {
      const none = await request(t.app).get('/api/admin/nope');
      expect(none.status).toBe(401);
      expect(none.body.code).toBe('missing_token');
      expect(none.headers['www-authenticate']).toBe('Bearer realm="tessera"');
      const user = await signupAndLogin(t.app);
      expect((await request(t.app).get('/api/admin/users/x').set('Authorization', bearer(user.accessToken))).body.code).toBe(
        'insufficient_role',
      );
      const admin = await loginAsAdmin(t);
      expect((await request(t.app).get('/api/admin/nope').set('Authorization', bearer(admin.accessToken))).status).toBe(404);
    });

    it('no token gets 401 missing_token with a Bearer challenge on every admin endpoint', async () => {
      const user = await signupAndLogin(t.app);
      for (const endpoint of ENDPOINTS) {
        const res = await endpoint.send(t, undefined, user.userId);
        expect(res.status, endpoint.name).toBe(401);
        expect(res.body.code, endpoint.name).toBe('missing_token');
        expect(res.headers['www-authenticate'], endpoint.name).toMatch(/^Bearer realm="tessera"/);
      }
    });

    it('a garbage token gets 401 invalid_token', async () => {
      const res = await request(t.app).get('/api/admin/users').set('Authorization', 'Bearer not.a.jwt');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_token');
    });

    it('an admin gets 200 from GET /api/admin', async () => {
      const admin = await loginAsAdmin(t);
      const res = await request(t.app).get('/api/admin').set('Authorization', bearer(admin.accessToken));
      expect(res.status).toBe(200);
      expect(typeof res.body.message).toBe('string');
    });
  });

  describe('GET /api/admin/users', () => {
    it('pages through every user exactly once with limit and cursor; no password hash is ever shown', async () => {
      const admin = await loginAsAdmin(t);
      const created: string[] = [admin.userId];
      for (let i = 0; i < 5; i++) {
        const signup = await request(t.app)
          .post('/api/auth/signup')
          .send({ email: `list-${i}-${process.pid}@example.com`, password: PASSWORD, name: `User ${i}` });
        expect(signup.status).toBe(201);
        created.push(signup.body.user.id);
      }

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = cursor ? `/api/admin/users?limit=2&cursor=${encodeURIComponent(cursor)}` : '/api/admin/users?limit=2';
        const res = await request(t.app).get(url).set('Authorization', bearer(admin.accessToken));
        expect(res.status).toBe(200);
        const users = res.body.users as Record<string, unknown>[];
        expect(users.length).toBeLessThanOrEqual(2);
        expect(res.body).toHaveProperty('nextCursor');
        for (const user of users) {
          expect(typeof user.disabled).toBe('boolean');
          expect(user.disabled).toBe(false);
          for (const field of ['id', 'email', 'name', 'roles', 'createdAt']) expect(user, field).toHaveProperty(field);
          expect(Array.isArray(user.roles)).toBe(true);
          expect(Object.keys(user).some((key) => /pass|hash/i.test(key))).toBe(false);
          expect(JSON.stringify(user)).not.toMatch(/\$argon2|\$2[aby]\$/);
          seen.push(user.id as string);
        }
        cursor = res.body.nextCursor as string | null;
        if (cursor !== null) expect(typeof cursor).toBe('string');
        pages++;
        expect(pages).toBeLessThanOrEqual(10);
      } while (cursor !== null);

      expect(pages).toBe(3);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual([...created].sort());
    });

    it('without a limit returns everyone on one page with nextCursor null', async () => {
      const admin = await loginAsAdmin(t);
      await signupAndLogin(t.app);
      const res = await request(t.app).get('/api/admin/users').set('Authorization', bearer(admin.accessToken));
      expect(res.status).toBe(200);
      expect(res.body.users).toHaveLength(2);
      expect(res.body.nextCursor).toBeNull();
    });

    it('rejects an invalid limit with 400 validation_failed', async () => {
      const admin = await loginAsAdmin(t);
      for (const limit of ['0', '-1', 'abc', '1000']) {
        const res = await request(t.app).get(`/api/admin/users?limit=${limit}`).set('Authorization', bearer(admin.accessToken));
        expect(res.status, limit).toBe(400);
        expect(res.body.code, limit).toBe('validation_failed');
      }
    });
  });

  describe('PUT /api/admin/users/:id/roles', () => {
    it("replaces the roles; the user's next token (login or refresh) carries them", async () => {
      const admin = await loginAsAdmin(t);
      const user = await signupAndLogin(t.app);

      const res = await request(t.app)
        .put(`/api/admin/users/${user.userId}/roles`)
        .set('Authorization', bearer(admin.accessToken))
        .send({ roles: ['user', 'editor'] });
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(user.userId);
      expect([...res.body.user.roles].sort()).toEqual(['editor', 'user']);
      expect(res.body.user).not.toHaveProperty('passwordHash');

      const refreshed = await request(t.app).post('/api/auth/refresh').send({ refreshToken: user.refreshToken });
      expect(refreshed.status).toBe(200);
      expect([...(jwtPayload(refreshed.body.accessToken).roles as string[])].sort()).toEqual(['editor', 'user']);
      const viaProtected = await request(t.app).get('/api/protected').set('Authorization', bearer(refreshed.body.accessToken));
      expect([...viaProtected.body.user.roles].sort()).toEqual(['editor', 'user']);

      const login = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
      expect(login.status).toBe(200);
      expect([...(jwtPayload(login.body.accessToken).roles as string[])].sort()).toEqual(['editor', 'user']);
      expect([...login.body.user.roles].sort()).toEqual(['editor', 'user']);
    });

    it('granting admin lets the next token use the admin API; the old token still cannot', async () => {
      const admin = await loginAsAdmin(t);
      const user = await signupAndLogin(t.app);
      const put = await request(t.app)
        .put(`/api/admin/users/${user.userId}/roles`)
        .set('Authorization', bearer(admin.accessToken))
        .send({ roles: ['user', 'admin'] });
      expect(put.status).toBe(200);

      const old = await request(t.app).get('/api/admin').set('Authorization', bearer(user.accessToken));
      expect(old.status).toBe(403);
      expect(old.body.code).toBe('insufficient_role');

      const login = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
      const res = await request(t.app).get('/api/admin').set('Authorization', bearer(login.body.accessToken));
      expect(res.status).toBe(200);
    });

    it('rejects invalid roles with 400 validation_failed and keeps the old roles', async () => {
      const admin = await loginAsAdmin(t);
      const user = await signupAndLogin(t.app);
      const bodies: [string, unknown][] = [
        ['not an array', { roles: 'admin' }],
        ['uppercase', { roles: ['Admin'] }],
        ['100 roles', { roles: Array.from({ length: 100 }, (_, i) => `role${i}`) }],
        ['missing', {}],
        ['not strings', { roles: [1, 2] }],
        ['empty name', { roles: [''] }],
      ];
      for (const [label, body] of bodies) {
        const res = await request(t.app)
          .put(`/api/admin/users/${user.userId}/roles`)
          .set('Authorization', bearer(admin.accessToken))
          .send(body as object);
        expect(res.status, label).toBe(400);
        expect(res.body.code, label).toBe('validation_failed');
      }
      const login = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
      expect(login.body.user.roles).toEqual(['user']);
    });

    it('answers 404 not_found for an unknown user', async () => {
      const admin = await loginAsAdmin(t);
      const res = await request(t.app)
        .put(`/api/admin/users/${UNKNOWN_ID}/roles`)
        .set('Authorization', bearer(admin.accessToken))
        .send({ roles: ['user'] });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    });
  });

  describe('disable and enable', () => {
    it('disable ends every session: access tokens token_revoked, refresh 401, login account_disabled (correct password only)', async () => {
      const admin = await loginAsAdmin(t);
      const user = await signupAndLogin(t.app);
      const second = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
      const bystander = await signupAndLogin(t.app);

      const res = await request(t.app).post(`/api/admin/users/${user.userId}/disable`).set('Authorization', bearer(admin.accessToken));
      expect(res.status).toBe(204);

      for (const token of [user.accessToken, second.body.accessToken as string]) {
        const access = await request(t.app).get('/api/protected').set('Authorization', bearer(token));
        expect(access.status).toBe(401);
        expect(access.body.code).toBe('token_revoked');
      }
      for (const token of [user.refreshToken, second.body.refreshToken as string]) {
        expect((await request(t.app).post('/api/auth/refresh').send({ refreshToken: token })).status).toBe(401);
      }

      const right = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
      expect(right.status).toBe(403);
      expect(right.body.code).toBe('account_disabled');
      expect(right.body).not.toHaveProperty('accessToken');
      const wrong = await request(t.app).post('/api/auth/login').send({ email: user.email, password: 'wrong password!' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('invalid_credentials');

      // The list shows the flag; the bystander is untouched.
      const list = await request(t.app).get('/api/admin/users?limit=100').set('Authorization', bearer(admin.accessToken));
      const listed = (list.body.users as { id: string; disabled: boolean }[]).find((u) => u.id === user.userId);
      expect(listed?.disabled).toBe(true);
      expect((await request(t.app).get('/api/protected').set('Authorization', bearer(bystander.accessToken))).status).toBe(200);
    });

    it('enable lets the user log in again; the old sessions stay ended', async () => {
      const admin = await loginAsAdmin(t);
      const user = await signupAndLogin(t.app);
      expect(
        (await request(t.app).post(`/api/admin/users/${user.userId}/disable`).set('Authorization', bearer(admin.accessToken))).status,
      ).toBe(204);

      const res = await request(t.app).post(`/api/admin/users/${user.userId}/enable`).set('Authorization', bearer(admin.accessToken));
      expect(res.status).toBe(204);

      const login = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
      expect(login.status).toBe(200);
      expect((await request(t.app).get('/api/protected').set('Authorization', bearer(login.body.accessToken))).status).toBe(200);

      const old = await request(t.app).get('/api/protected').set('Authorization', bearer(user.accessToken));
      expect(old.status).toBe(401);
      expect(old.body.code).toBe('token_revoked');
      expect((await request(t.app).post('/api/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(401);

      const list = await request(t.app).get('/api/admin/users?limit=100').set('Authorization', bearer(admin.accessToken));
      const listed = (list.body.users as { id: string; disabled: boolean }[]).find((u) => u.id === user.userId);
      expect(listed?.disabled).toBe(false);
    });

    it('answers 404 not_found for an unknown user on disable and enable', async () => {
      const admin = await loginAsAdmin(t);
      for (const action of ['disable', 'enable']) {
        const res = await request(t.app).post(`/api/admin/users/${UNKNOWN_ID}/${action}`).set('Authorization', bearer(admin.accessToken));
        expect(res.status, action).toBe(404);
        expect(res.body.code, action).toBe('not_found');
      }
    });
  });
});
