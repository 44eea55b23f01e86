import { sql } from 'kysely';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

describe('logout when the revocation cannot be recorded', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ LOG_LEVEL: 'fatal' });
  });
  afterEach(async () => {
    await sql`ALTER TABLE revocations_gone RENAME TO revocations`.execute(t.runtime.database.db).catch(() => {});
    await t.close();
  });

  it('answers 500, not 204: other instances would never learn of the revoked access token', async () => {
    const s = await signupAndLogin(t.app);
    await sql`ALTER TABLE revocations RENAME TO revocations_gone`.execute(t.runtime.database.db);
    const res = await request(t.app).post('/api/auth/logout').set('Authorization', `Bearer ${s.accessToken}`).send({});
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('internal_error');
  });
});
