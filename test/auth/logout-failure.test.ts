import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_RETRY_AFTER_SECONDS } from '../../src/lib/database-unavailable.ts';
import { TEST_DIALECT } from '../helpers/database.ts';
import { expectProblem } from '../helpers/problem-assertions.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

/**
 * Logout is 204 whatever the state of the session, but only once the end is recorded: a logout
 * that answered 204 without it would leave the access token valid on every other instance (they
 * learn of revocations from the database) while the user believes they are signed out.
 */
describe('logout when the revocation cannot be recorded', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ LOG_LEVEL: 'fatal' });
  });
  afterEach(async () => {
    await sql`ALTER TABLE revocations_gone RENAME TO revocations`.execute(t.runtime.database.db).catch(() => {});
    await t.close();
  });

  it('answers 500, not 204, when no retry can cure it (a broken schema): the token stays valid everywhere', async () => {
    const s = await signupAndLogin(t.app);
    await sql`ALTER TABLE revocations RENAME TO revocations_gone`.execute(t.runtime.database.db);
    const res = await request(t.app).post('/api/auth/logout').set('Authorization', `Bearer ${s.accessToken}`).send({});
    expectProblem(res, 500, 'internal_error');
    expect(res.headers['retry-after']).toBeUndefined();
  });

  // SQLite out of reach: another process holds the write lock past the 5 s busy timeout. (A
  // stopped PostgreSQL is in test/faults/database-outage.test.ts, on a private cluster.)
  it.runIf(TEST_DIALECT === 'sqlite')(
    'answers 503 unavailable with Retry-After while the database is out of reach: the session lives, and the retried logout ends it',
    async () => {
      const s = await signupAndLogin(t.app);
      const bearer = `Bearer ${s.accessToken}`;
      const holder = new SQLite(t.config.database.url.slice('sqlite:'.length));
      try {
        holder.exec('begin immediate');
        const res = await request(t.app).post('/api/auth/logout').set('Authorization', bearer).send({ refreshToken: s.refreshToken });
        expectProblem(res, 503, 'unavailable');
        expect(res.headers['retry-after']).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
        // No cookie is cleared either: a retry (the client library's) still has the session to end.
        expect(res.headers['set-cookie']).toBeUndefined();
        holder.exec('rollback');
      } finally {
        holder.close();
      }
      expect((await request(t.app).get('/api/protected').set('Authorization', bearer)).status).toBe(200);

      await request(t.app).post('/api/auth/logout').set('Authorization', bearer).send({ refreshToken: s.refreshToken }).expect(204);
      expectProblem(await request(t.app).get('/api/protected').set('Authorization', bearer), 401, 'token_revoked');
      expectProblem(await request(t.app).post('/api/auth/refresh').send({ refreshToken: s.refreshToken }), 401, 'invalid_token');
    },
  );
});
