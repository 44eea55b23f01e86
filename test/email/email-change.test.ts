import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailDelivery } from '../../src/mail/delivery.ts';
import { smtpTransport } from '../../src/mail/transports.ts';
import { bearer } from '../helpers/auth-assertions.ts';
import { expectProblem, expectValidationFailed } from '../helpers/problem-assertions.ts';
import { silentLogger } from '../helpers/services.ts';
import { latestMail, linkIn, recipients, startSmtpServer, tokenOf } from '../helpers/smtp.ts';
import { createTestApp, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

describe('email change over a real SMTP server', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let t: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp({ SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const change = (accessToken: string, body: object) =>
    request(t.app).post('/api/auth/email/change').set('Authorization', bearer(accessToken)).send(body);

  it('a link to the new address, a notice to the old one; confirming moves the account', async () => {
    const user = await signupAndLogin(t.app);
    const newEmail = uniqueEmail('moved');
    expect((await change(user.accessToken, { newEmail, currentPassword: PASSWORD }).expect(202)).body).toEqual({ status: 'accepted' });
    const notice = await latestMail(smtp, t.runtime.mail, user.email, /being changed/);
    expect(notice.text).toContain(newEmail);
    expect(notice.text).not.toMatch(/token=/);
    const token = tokenOf(linkIn(await latestMail(smtp, t.runtime.mail, newEmail, /Confirm your new email/)));

    const confirmed = await request(t.app).post('/api/auth/email/change/confirm').send({ token }).expect(200);
    expect(confirmed.body.user).toMatchObject({ id: user.userId, email: newEmail, emailVerified: true });
    expectProblem(await request(t.app).post('/api/auth/email/change/confirm').send({ token }), 400, 'invalid_link');
    await request(t.app).post('/api/auth/login').send({ email: newEmail, password: PASSWORD }).expect(200);
    expectProblem(await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD }), 401, 'invalid_credentials');
  });

  it('needs the current password (wrong: 401 invalid_credentials, missing: 401 reauth_required) and a Bearer token; the same address is a 400', async () => {
    const user = await signupAndLogin(t.app);
    expectProblem(
      await change(user.accessToken, { newEmail: uniqueEmail('x'), currentPassword: 'not my password' }),
      401,
      'invalid_credentials',
    );
    expect(
      (
        await request(t.app)
          .post('/api/auth/email/change')
          .send({ newEmail: uniqueEmail('x'), currentPassword: PASSWORD })
      ).status,
    ).toBe(401);
    expectValidationFailed(await change(user.accessToken, { newEmail: user.email.toUpperCase(), currentPassword: PASSWORD }), ['newEmail']);
    expectValidationFailed(await change(user.accessToken, { newEmail: 'nope', currentPassword: PASSWORD }), ['newEmail']);
    expectProblem(await change(user.accessToken, { newEmail: uniqueEmail('x') }), 401, 'reauth_required');
  });

  it('an address with an account: the same 202, no link, its owner hears of it, and the requester the same notice as for a free one', async () => {
    const owner = await signupAndLogin(t.app);
    const user = await signupAndLogin(t.app);
    await t.runtime.mail.idle();
    const before = smtp.mails.length;
    await change(user.accessToken, { newEmail: owner.email, currentPassword: PASSWORD }).expect(202);
    const notice = await latestMail(smtp, t.runtime.mail, owner.email, /tried to use your email/);
    expect(notice.text).not.toMatch(/token=/);
    // The requester's own address gets the notice it gets for a free address (finding 2: it
    // used to come only when the new address was free, which told an attacker it was taken).
    const toOld = await latestMail(smtp, t.runtime.mail, user.email, /being changed/);
    expect(toOld.text).toContain(owner.email);
    expect(toOld.text).not.toMatch(/token=/);
    expect(smtp.mails.length).toBe(before + 2);
  });

  it('a reset link mailed to the old address stops working once the account has moved', async () => {
    const user = await signupAndLogin(t.app);
    await request(t.app).post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
    const resetToken = tokenOf(linkIn(await latestMail(smtp, t.runtime.mail, user.email, /Reset your password/)));
    const newEmail = uniqueEmail('moved-away');
    await change(user.accessToken, { newEmail, currentPassword: PASSWORD }).expect(202);
    const token = tokenOf(linkIn(await latestMail(smtp, t.runtime.mail, newEmail, /Confirm your new email/)));
    await request(t.app).post('/api/auth/email/change/confirm').send({ token }).expect(200);
    expectProblem(
      await request(t.app).post('/api/auth/password/reset').send({ token: resetToken, newPassword: 'taken over by the old mailbox' }),
      400,
      'invalid_link',
    );
    await request(t.app).post('/api/auth/login').send({ email: newEmail, password: PASSWORD }).expect(200);
  });

  it('409 email_taken when the new address got an account in the meantime', async () => {
    const user = await signupAndLogin(t.app);
    const newEmail = uniqueEmail('race');
    await change(user.accessToken, { newEmail, currentPassword: PASSWORD }).expect(202);
    const token = tokenOf(linkIn(await latestMail(smtp, t.runtime.mail, newEmail, /Confirm your new email/)));
    await request(t.app).post('/api/auth/signup').send({ email: newEmail, password: PASSWORD }).expect(201);
    expectProblem(await request(t.app).post('/api/auth/email/change/confirm').send({ token }), 409, 'email_taken');
  });
});

describe('mail without SMTP_URL: the outbox', () => {
  it('writes each mail as an .eml file (0600, in a 0700 folder) whose link works', async () => {
    const t = await createTestApp();
    try {
      const user = await signupAndLogin(t.app);
      await t.runtime.mail.idle();
      const dir = t.config.mail.outboxDir;
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
      expect(files).toHaveLength(1);
      expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);
      const mail = await simpleParser(readFileSync(join(dir, files[0]!)));
      expect(recipients(mail)).toEqual([user.email]);
      const token = tokenOf(linkIn(mail));
      await request(t.app).post('/api/auth/email/verify').send({ token }).expect(200);
    } finally {
      await t.close();
    }
  });
});

describe('a mail server that is down', () => {
  it('changes no answer: the failure is retried, logged and counted in /metrics', async () => {
    const down = smtpTransport('smtp://127.0.0.1:9', 'Tessera <no-reply@localhost>'); // discard port: refused
    const mail = createMailDelivery({ transport: down, logger: silentLogger(), retryDelaysMs: [10, 10] });
    const t = await createTestApp({}, { app: { mail } });
    try {
      const user = await signupAndLogin(t.app);
      const res = await request(t.app).post('/api/auth/password/forgot').send({ email: user.email });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ status: 'accepted' });
      await mail.idle();
      const metrics = await request(t.app).get('/metrics').expect(200);
      expect(metrics.text).toMatch(/^tessera_mail_total\{outcome="failed"\} 2$/m); // signup's and forgot's mails
      expect(metrics.text).toMatch(/^tessera_mail_total\{outcome="retried"\} 4$/m);
    } finally {
      await t.close();
    }
  });
});
