import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seal, open } from '../../src/lib/sealed-box.ts';
import { expectProblem } from '../helpers/problem-assertions.ts';
import { linkIn } from '../helpers/smtp.ts';
import { createTestApp, PASSWORD, type TestApp } from '../helpers/test-app.ts';
import { bearer, currentCode, enrolledUser, passwordStep, verify } from './mfa-helpers.ts';

describe('a login halfway through its second step', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('ends with a password change: the mfaToken of the old password is refused', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t.app, user.email); // a phisher relaying the old password
    await request(t.app)
      .post('/api/auth/password')
      .set(bearer(user.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'a completely new passphrase' })
      .expect(204);
    expectProblem(await verify(t.app, mfaToken, currentCode(user.secret, t.clock)), 401, 'invalid_token');
  });

  it('ends with a password reset by mail', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t.app, user.email);
    await request(t.app).post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
    await t.runtime.mail.idle();
    const dir = t.config.mail.outboxDir;
    const mails = await Promise.all(readdirSync(dir).map((f) => simpleParser(readFileSync(join(dir, f)))));
    const reset = mails.find((m) => /Reset your password/.test(m.subject ?? ''))!;
    const token = new URL(linkIn(reset)).searchParams.get('token');
    await request(t.app).post('/api/auth/password/reset').send({ token, newPassword: 'a completely new passphrase' }).expect(204);
    expectProblem(await verify(t.app, mfaToken, currentCode(user.secret, t.clock)), 401, 'invalid_token');
  });

  it('ends with logout-all', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t.app, user.email);
    await request(t.app).post('/api/auth/logout-all').set(bearer(user.accessToken)).expect(204);
    expectProblem(await verify(t.app, mfaToken, currentCode(user.secret, t.clock)), 401, 'invalid_token');
  });
});

describe('sealed secrets', () => {
  it('refuse a truncated authentication tag', () => {
    const key = Buffer.alloc(32, 7);
    const sealed = seal(Buffer.from('JBSWY3DPEHPK3PXP'), key, 'user-1');
    expect(open(sealed, key, 'user-1').toString()).toBe('JBSWY3DPEHPK3PXP');
    const [iv, tag, body] = sealed.split('.');
    const short = [iv, Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url'), body].join('.');
    expect(() => open(short, key, 'user-1')).toThrow();
  });
});
