import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listen } from '../helpers/listen.ts';
import { createTestApp, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

/** A raw GET over node:http; resolves with the status code. */
function rawGet(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('input limits', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('answers 431 to a 20 KB header on a real listener', async () => {
    const server = await listen(t.app);
    try {
      expect(await rawGet(`${server.url}/healthz`, {})).toBe(200);
      expect(await rawGet(`${server.url}/healthz`, { 'X-Big': 'a'.repeat(20_000) })).toBe(431);
      // The server is still up afterwards.
      expect(await rawGet(`${server.url}/healthz`, {})).toBe(200);
    } finally {
      await server.close();
    }
  });

  const USER_COLUMNS = [
    'createdAt',
    'disabled',
    'email',
    'emailVerified',
    'id',
    'mfaEnabled',
    'name',
    'passwordHash',
    'roles',
    'updatedAt',
  ];

  async function signupRaw(json: string) {
    return request(t.app).post('/api/auth/signup').set('Content-Type', 'application/json').send(json);
  }

  async function expectPlainUser(res: request.Response, email: string) {
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(Object.keys(res.body.user).sort()).toEqual(['createdAt', 'email', 'emailVerified', 'id', 'mfaEnabled', 'name', 'roles']);
    expect(res.body.user.email).toBe(email);
    expect(res.body.user.roles).toEqual(['user']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(res.body.user)).toBe(Object.prototype);
    const row = await t.runtime.database.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    expect(Object.keys(row).sort()).toEqual(USER_COLUMNS);
    expect(JSON.parse(row.roles)).toEqual(['user']);
    expect(Number(row.disabled)).toBe(0);
    expect(row.name).toBeNull();
    expect(JSON.stringify(row)).not.toContain('polluted');
    // The account works normally.
    const login = await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.user.roles).toEqual(['user']);
    expect(login.body.user).not.toHaveProperty('polluted');
  }

  it('ignores a __proto__ key at signup', async () => {
    const email = uniqueEmail();
    const res = await signupRaw(
      `{"__proto__": {"polluted": true, "roles": ["admin"]}, "email": ${JSON.stringify(email)}, "password": ${JSON.stringify(PASSWORD)}}`,
    );
    await expectPlainUser(res, email);
  });

  it('ignores a constructor.prototype key at signup', async () => {
    const email = uniqueEmail();
    const res = await signupRaw(
      `{"constructor": {"prototype": {"polluted": true, "roles": ["admin"]}}, "email": ${JSON.stringify(email)}, "password": ${JSON.stringify(PASSWORD)}}`,
    );
    await expectPlainUser(res, email);
  });
});
