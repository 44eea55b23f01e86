import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, loginAsAdmin, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { bearer, decodeJwt, expectProblem } from '../helpers/auth-assertions.ts';

describe('POST /api/auth/signup', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const signup = (body: unknown) =>
    request(t.app)
      .post('/api/auth/signup')
      .send(body as object);

  /** 400 validation_failed, with an `errors` entry naming `path`. */
  const expectFieldError = (res: request.Response, path: string) => {
    expectProblem(res, 400, 'validation_failed');
    expect(Array.isArray(res.body.errors)).toBe(true);
    expect(res.body.errors.length).toBeGreaterThan(0);
    for (const error of res.body.errors) {
      expect(typeof error.path).toBe('string');
      expect(typeof error.message).toBe('string');
    }
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  };

  describe('success', () => {
    it('answers 201 with the new user and nothing else', async () => {
      const email = uniqueEmail();
      const res = await signup({ email, password: PASSWORD, name: 'Ada Lovelace' });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body)).toEqual(['user']);
      const user = res.body.user;
      expect(Object.keys(user).sort()).toEqual(['createdAt', 'email', 'emailVerified', 'id', 'mfaEnabled', 'name', 'roles']);
      expect(user.emailVerified).toBe(false); // a signup must prove its address
      expect(typeof user.id).toBe('string');
      expect(user.id.length).toBeGreaterThan(0);
      expect(user.email).toBe(email);
      expect(user.name).toBe('Ada Lovelace');
      expect(user.roles).toEqual(['user']);
      expect(user.createdAt).toBe(new Date(t.clock.now()).toISOString());
      expect(user.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    });

    it('never returns the password or its hash', async () => {
      const res = await signup({ email: uniqueEmail(), password: PASSWORD });
      expect(res.status).toBe(201);
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toMatch(/\$argon2|\$2[aby]\$/);
      expect(text.toLowerCase()).not.toContain('password');
      expect(text.toLowerCase()).not.toContain('hash');
    });

    it('works without a name', async () => {
      const res = await signup({ email: uniqueEmail(), password: PASSWORD });
      expect(res.status).toBe(201);
      expect(res.body.user).toHaveProperty('name');
      expect(res.body.user.roles).toEqual(['user']);
    });

    it('gives every user a distinct id', async () => {
      const a = await signup({ email: uniqueEmail(), password: PASSWORD });
      const b = await signup({ email: uniqueEmail(), password: PASSWORD });
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(a.body.user.id).not.toBe(b.body.user.id);
    });

    it('trims and lower-cases the email', async () => {
      const local = uniqueEmail('MixedCase').split('@')[0]!;
      const res = await signup({ email: `  ${local}@Example.COM \t`, password: PASSWORD });
      expect(res.status).toBe(201);
      expect(res.body.user.email).toBe(`${local.toLowerCase()}@example.com`);

      const login = await request(t.app)
        .post('/api/auth/login')
        .send({ email: `${local.toLowerCase()}@example.com`, password: PASSWORD });
      expect(login.status).toBe(200);
      expect(login.body.user.id).toBe(res.body.user.id);
    });

    it('accepts an email of exactly 254 characters', async () => {
      const email = `${'a'.repeat(254 - '@example.com'.length)}@example.com`;
      expect(email).toHaveLength(254);
      const res = await signup({ email, password: PASSWORD });
      expect(res.status).toBe(201);
      expect(res.body.user.email).toBe(email);
    });

    it('accepts passwords of exactly 8 and 128 characters', async () => {
      expect((await signup({ email: uniqueEmail(), password: 'p'.repeat(8) })).status).toBe(201);
      expect((await signup({ email: uniqueEmail(), password: 'p'.repeat(128) })).status).toBe(201);
    });
  });

  describe('uniqueness', () => {
    it('refuses the same email in another case and spacing with 409 email_taken', async () => {
      const local = uniqueEmail('dup').split('@')[0]!;
      const first = await signup({ email: `${local}@example.com`, password: PASSWORD });
      expect(first.status).toBe(201);
      const again = await signup({ email: ` ${local.toUpperCase()}@EXAMPLE.com `, password: `${PASSWORD}!` });
      expectProblem(again, 409, 'email_taken');
    });

    it('lets exactly one of 8 concurrent signups with one email succeed', async () => {
      const email = uniqueEmail('race');
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => signup({ email: i % 2 ? email.toUpperCase() : email, password: PASSWORD })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(7);
      for (const r of results.filter((r) => r.status === 409)) expect(r.body.code).toBe('email_taken');

      // And the one account works.
      const login = await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD });
      expect(login.status).toBe(200);
    });
  });

  describe('mass assignment', () => {
    it('ignores roles: ["admin"] in the body', async () => {
      const email = uniqueEmail();
      const res = await signup({ email, password: PASSWORD, roles: ['admin'] });
      expect(res.status).toBe(201);
      expect(res.body.user.roles).toEqual(['user']);

      const login = await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD });
      expect(login.status).toBe(200);
      expect(login.body.user.roles).toEqual(['user']);
      expect(decodeJwt(login.body.accessToken).payload.roles).toEqual(['user']);
      const admin = await request(t.app).get('/api/admin').set('Authorization', bearer(login.body.accessToken));
      expectProblem(admin, 403, 'insufficient_role');
    });

    it('ignores unknown fields (id, disabled, createdAt, isAdmin, ...)', async () => {
      const email = uniqueEmail();
      const res = await signup({
        email,
        password: PASSWORD,
        id: 'chosen-id',
        disabled: true,
        createdAt: '1999-01-01T00:00:00.000Z',
        isAdmin: true,
        role: 'admin',
        passwordHash: 'x',
        favouriteColour: 'blue',
      });
      expect(res.status).toBe(201);
      expect(res.body.user.id).not.toBe('chosen-id');
      expect(res.body.user.roles).toEqual(['user']);
      expect(res.body.user.createdAt).toBe(new Date(t.clock.now()).toISOString());
      expect(res.body.user).not.toHaveProperty('favouriteColour');
      expect(res.body.user).not.toHaveProperty('isAdmin');

      const login = await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD });
      expect(login.status).toBe(200);
    });
  });

  describe('validation', () => {
    it('requires an email', async () => {
      expectFieldError(await signup({ password: PASSWORD }), 'email');
    });

    it('requires a password', async () => {
      expectFieldError(await signup({ email: uniqueEmail() }), 'password');
    });

    it('lists both problems for an empty object', async () => {
      const res = await signup({});
      expectFieldError(res, 'email');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('password');
    });

    it.each([
      'not-an-email',
      'missing-domain@',
      '@missing-local.com',
      'two@@example.com',
      'spaces in@example.com',
      'no-tld@example',
      '',
      '   ',
    ])('refuses the email %j', async (email) => {
      expectFieldError(await signup({ email, password: PASSWORD }), 'email');
    });

    it('refuses an email longer than 254 characters', async () => {
      const email = `${'a'.repeat(255 - '@example.com'.length)}@example.com`;
      expect(email).toHaveLength(255);
      expectFieldError(await signup({ email, password: PASSWORD }), 'email');
    });

    it('refuses a very long email without trouble', async () => {
      const email = `${'a'.repeat(5000)}@example.com`;
      const res = await signup({ email, password: PASSWORD });
      expectFieldError(res, 'email');
    });

    it('refuses a password shorter than 8 characters', async () => {
      expectFieldError(await signup({ email: uniqueEmail(), password: 'p'.repeat(7) }), 'password');
      expectFieldError(await signup({ email: uniqueEmail(), password: '' }), 'password');
    });

    it('refuses a password longer than 128 characters', async () => {
      expectFieldError(await signup({ email: uniqueEmail(), password: 'p'.repeat(129) }), 'password');
    });

    it('refuses a password equal to the email', async () => {
      const email = uniqueEmail();
      expectFieldError(await signup({ email, password: email }), 'password');
    });

    it('refuses a password equal to the email in another case', async () => {
      const email = uniqueEmail();
      expectFieldError(await signup({ email, password: email.toUpperCase() }), 'password');
    });

    it.each([
      ['email', 12345],
      ['email', ['a@example.com']],
      ['email', { address: 'a@example.com' }],
      ['email', null],
      ['email', true],
      ['password', 12345678],
      ['password', [PASSWORD]],
      ['password', { value: PASSWORD }],
      ['password', null],
      ['name', 42],
      ['name', ['Ada']],
      ['name', { first: 'Ada' }],
    ])('refuses %s of the wrong type (%j)', async (field, value) => {
      const body: Record<string, unknown> = { email: uniqueEmail(), password: PASSWORD, [field]: value };
      expectFieldError(await signup(body), field);
    });

    it('creates nothing when validation fails', async () => {
      const email = uniqueEmail();
      expectFieldError(await signup({ email, password: 'short' }), 'password');
      const ok = await signup({ email, password: PASSWORD });
      expect(ok.status).toBe(201);
    });
  });

  describe('injection', () => {
    it('stores an SQL-looking name verbatim and does not execute it', async () => {
      const name = 'Robert\'); DROP TABLE users;-- " OR 1=1';
      const email = uniqueEmail();
      const res = await signup({ email, password: PASSWORD, name });
      expect(res.status).toBe(201);
      expect(res.body.user.name).toBe(name);

      // The users table is still there and the name reads back unchanged.
      const login = await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD });
      expect(login.status).toBe(200);
      const me = await request(t.app).get('/api/auth/me').set('Authorization', bearer(login.body.accessToken));
      expect(me.status).toBe(200);
      expect(me.body.user.name).toBe(name);
      const other = await signup({ email: uniqueEmail(), password: PASSWORD });
      expect(other.status).toBe(201);

      const admin = await loginAsAdmin(t);
      const list = await request(t.app).get('/api/admin/users?limit=100').set('Authorization', bearer(admin.accessToken));
      expect(list.status).toBe(200);
      expect(list.body.users.length).toBeGreaterThanOrEqual(3);
    });
  });
});
