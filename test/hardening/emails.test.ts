import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, type TestApp } from '../helpers/test-app.ts';
import { expectProblem } from '../helpers/auth-assertions.ts';

describe('email canonicalisation', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const signup = (email: string) => request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD });
  const userCount = async () =>
    Number(
      (
        await t.runtime.database.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it.each(['ａｄａ@example.com', ' ADA@EXAMPLE.COM ', 'Ada@Example.Com', 'ada@example.com'])(
    'treats %j as the same address as ada@example.com (409 email_taken)',
    async (variant) => {
      const first = await signup('ada@example.com');
      expect(first.status).toBe(201);
      expect(first.body.user.email).toBe('ada@example.com');
      expectProblem(await signup(variant), 409, 'email_taken');
      expect(await userCount()).toBe(1);
      // And the variant logs in to the one account.
      const login = await request(t.app).post('/api/auth/login').send({ email: variant, password: PASSWORD });
      expect(login.status).toBe(200);
      expect(login.body.user.id).toBe(first.body.user.id);
    },
  );

  it('refuses a Cyrillic lookalike (U+0430) rather than creating a second account', async () => {
    expect((await signup('ada@example.com')).status).toBe(201);
    const lookalike = '\u0430da@example.com';
    expect(lookalike).not.toBe('ada@example.com');
    const res = await signup(lookalike);
    expectProblem(res, 400, 'validation_failed');
    expect(await userCount()).toBe(1);
  });
});
