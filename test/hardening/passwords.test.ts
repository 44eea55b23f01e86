import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { bearer, expectProblem } from '../helpers/auth-assertions.ts';

const EMOJI_BASE = 0x1f600;
/** `n` emoji code points (each two UTF-16 units), none NFKC-changed. */
const emoji = (n: number) => Array.from({ length: n }, (_, i) => String.fromCodePoint(EMOJI_BASE + (i % 64))).join('');

describe('password handling', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const signup = (email: string, password: string) => request(t.app).post('/api/auth/signup').send({ email, password });
  const login = (email: string, password: string) => request(t.app).post('/api/auth/login').send({ email, password });

  async function userRow(email: string) {
    return t.runtime.database.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  it('never truncates at 72 bytes: a 73rd character that differs is a wrong password', async () => {
    const email = uniqueEmail();
    const base = 'Tr0ub4dor&3-lengthy-passphrase-that-keeps-going-and-going-for-a-while-xy';
    expect(base).toHaveLength(72);
    const password = `${base}A`;
    expect((await signup(email, password)).status).toBe(201);
    expectProblem(await login(email, `${base}B`), 401, 'invalid_credentials');
    expectProblem(await login(email, base), 401, 'invalid_credentials');
    expect((await login(email, password)).status).toBe(200);
  });

  it('counts characters as code points: 8 emoji accepted, 7 refused', async () => {
    const eight = emoji(8);
    const seven = emoji(7);
    expect(seven.length).toBe(14); // more than 8 UTF-16 units, still 7 characters
    expectProblem(await signup(uniqueEmail(), seven), 400, 'validation_failed');
    const email = uniqueEmail();
    expect((await signup(email, eight)).status).toBe(201);
    expect((await login(email, eight)).status).toBe(200);
  });

  it('accepts 128 emoji and refuses 129', async () => {
    const email = uniqueEmail();
    expect((await signup(email, emoji(128))).status).toBe(201);
    expect((await login(email, emoji(128))).status).toBe(200);
    const refused = await signup(uniqueEmail(), emoji(129));
    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors.some((e: { path: string }) => e.path === 'password')).toBe(true);
  });

  it('normalises with NFKC: a fullwidth password logs in with its ASCII form, and the reverse', async () => {
    const fullwidth = 'ｐａｓｓｗｏｒｄ-ｆｕｌｌｗｉｄｔｈ-１２３';
    const ascii = 'password-fullwidth-123';
    const a = uniqueEmail();
    expect((await signup(a, fullwidth)).status).toBe(201);
    expect((await login(a, ascii)).status).toBe(200);
    expect((await login(a, fullwidth)).status).toBe(200);

    const b = uniqueEmail();
    expect((await signup(b, ascii)).status).toBe(201);
    expect((await login(b, fullwidth)).status).toBe(200);
  });

  it('refuses common passwords at signup', async () => {
    const refused: string[] = [];
    for (const password of ['password123', 'qwerty123', 'iloveyou1', 'Password1', 'password1']) {
      const res = await signup(uniqueEmail(), password);
      if (res.status === 400) {
        expectProblem(res, 400, 'validation_failed');
        refused.push(password);
      } else {
        expect(res.status).toBe(201);
      }
    }
    expect(refused.includes('password1') || refused.includes('password123')).toBe(true);
    // All of these are in the zxcvbn common list shipped with the server.
    expect(refused).toEqual(['password123', 'qwerty123', 'iloveyou1', 'Password1', 'password1']);
  });

  it('refuses common passwords at password change', async () => {
    const session = await signupAndLogin(t.app);
    for (const newPassword of ['password123', 'password1', 'Password1']) {
      const res = await request(t.app)
        .post('/api/auth/password')
        .set('Authorization', bearer(session.accessToken))
        .send({ currentPassword: session.password, newPassword });
      expectProblem(res, 400, 'validation_failed');
    }
    // The old password still works.
    expect((await login(session.email, session.password)).status).toBe(200);
  });

  it("refuses a password containing the email's local part", async () => {
    const res = await signup('margaret@example.com', 'margaret-is-great');
    expectProblem(res, 400, 'validation_failed');
    expect(await userRow('margaret@example.com')).toBeUndefined();
  });

  it('answers 413 to a 1 MB password and creates no user', async () => {
    const email = uniqueEmail('huge');
    const res = await signup(email, 'a'.repeat(1024 * 1024));
    expectProblem(res, 413, 'payload_too_large');
    expect(await userRow(email)).toBeUndefined();
    const count = await t.runtime.database.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  describe('legacy bcrypt hashes', () => {
    async function insertBcryptUser(email: string, password: string) {
      const now = t.clock.now();
      const id = randomUUID();
      await t.runtime.database.db
        .insertInto('users')
        .values({
          id,
          email,
          name: null,
          passwordHash: bcrypt.hashSync(password, 4),
          roles: '["user"]',
          disabled: 0,
          createdAt: now,
          updatedAt: now,
        })
        .execute();
      return id;
    }

    it('logs in, re-hashes with argon2id, and keeps working', async () => {
      const email = uniqueEmail('legacy');
      const id = await insertBcryptUser(email, PASSWORD);
      expect((await userRow(email))!.passwordHash).toMatch(/^\$2[aby]\$/);

      const first = await login(email, PASSWORD);
      expect(first.status).toBe(200);
      expect(first.body.user.id).toBe(id);
      expect((await userRow(email))!.passwordHash.startsWith('$argon2id$')).toBe(true);

      expect((await login(email, PASSWORD)).status).toBe(200);
      expectProblem(await login(email, `${PASSWORD}x`), 401, 'invalid_credentials');
    });

    it('refuses a wrong password and leaves the hash alone', async () => {
      const email = uniqueEmail('legacy');
      await insertBcryptUser(email, PASSWORD);
      const before = (await userRow(email))!.passwordHash;
      expectProblem(await login(email, `${PASSWORD}x`), 401, 'invalid_credentials');
      expect((await userRow(email))!.passwordHash).toBe(before);
    });
  });
});

describe('one problem, reported once', () => {
  it('a short password at signup gets exactly one error entry', async () => {
    const t = await createTestApp();
    try {
      const res = await request(t.app).post('/api/auth/signup').send({ email: 'once@example.com', password: 'short' });
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0].path).toBe('password');
    } finally {
      await t.close();
    }
  });
});
