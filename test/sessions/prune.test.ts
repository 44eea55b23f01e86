import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prune } from '../../src/runtime.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

const DAY = 86_400_000;

describe('pruning', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const count = async (table: 'refreshTokens' | 'sessions') =>
    Number(
      (
        await t.runtime.database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it("drops a live session's expired refresh tokens, and ended sessions after a day, but keeps what is live", async () => {
    const s = await signupAndLogin(t.app);
    let refreshToken = s.refreshToken;
    // A session that rotates every 6 days lives on; each rotation leaves a used token behind.
    for (let i = 0; i < 3; i += 1) {
      t.clock.advance(6 * DAY);
      const res = await request(t.app).post('/api/auth/refresh').send({ refreshToken });
      expect(res.status).toBe(200);
      refreshToken = res.body.refreshToken;
    }
    expect(await count('refreshTokens')).toBe(4);
    await prune(t.runtime.database, t.config, t.clock);
    // Tokens issued more than 7 days ago have expired: only the last two remain.
    expect(await count('refreshTokens')).toBe(2);
    expect((await request(t.app).post('/api/auth/refresh').send({ refreshToken })).status).toBe(200);

    const other = await signupAndLogin(t.app);
    await request(t.app).post('/api/auth/logout').send({ refreshToken: other.refreshToken }).expect(204);
    expect(await count('sessions')).toBe(2);
    t.clock.advance(DAY + 1000);
    await prune(t.runtime.database, t.config, t.clock);
    expect(await count('sessions')).toBe(1);
  });
});
