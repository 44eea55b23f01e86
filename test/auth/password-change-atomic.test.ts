import { sql } from 'kysely';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

/**
 * A password change sets the new hash and ends the other sessions in one transaction. Done as two
 * steps, a failure between them (a connection lost, answered 503) left the new password in place
 * and the other sessions, perhaps an attacker's, alive; the user's retry with the old password
 * then failed as a wrong password.
 */
describe('a password change that fails halfway', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ LOG_LEVEL: 'fatal' });
  });
  afterEach(async () => {
    await sql`ALTER TABLE mfa_challenges_gone RENAME TO mfa_challenges`.execute(t.runtime.database.db).catch(() => {});
    await t.close();
  });

  it('changes nothing: the old password still signs in, the other session lives, and the retry succeeds', async () => {
    const here = await signupAndLogin(t.app);
    const other = (await request(t.app).post('/api/auth/login').send({ email: here.email, password: PASSWORD }).expect(200)).body as {
      accessToken: string;
    };
    // Ending the other sessions fails (it clears their pending MFA challenges first); updating the password would not.
    await sql`ALTER TABLE mfa_challenges RENAME TO mfa_challenges_gone`.execute(t.runtime.database.db);
    const change = { currentPassword: PASSWORD, newPassword: 'a brand new passphrase 42' };
    const failed = await request(t.app).post('/api/auth/password').set('Authorization', `Bearer ${here.accessToken}`).send(change);
    expect(failed.status).toBe(500);

    await sql`ALTER TABLE mfa_challenges_gone RENAME TO mfa_challenges`.execute(t.runtime.database.db);
    await request(t.app).post('/api/auth/login').send({ email: here.email, password: PASSWORD }).expect(200);
    await request(t.app).get('/api/protected').set('Authorization', `Bearer ${other.accessToken}`).expect(200);

    await request(t.app).post('/api/auth/password').set('Authorization', `Bearer ${here.accessToken}`).send(change).expect(204);
    const ended = await request(t.app).get('/api/protected').set('Authorization', `Bearer ${other.accessToken}`);
    expect(ended.status).toBe(401);
    await request(t.app).post('/api/auth/login').send({ email: here.email, password: change.newPassword }).expect(200);
  });
});
