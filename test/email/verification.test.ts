import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth-assertions.ts';
import { expectProblem, expectValidationFailed } from '../helpers/problem-assertions.ts';
import { latestMail, linkIn, startSmtpServer, tokenOf } from '../helpers/smtp.ts';
import { createTestApp, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

type Smtp = Awaited<ReturnType<typeof startSmtpServer>>;

describe('email verification over a real SMTP server', () => {
  let smtp: Smtp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(() => smtp.close());

  describe('REQUIRE_EMAIL_VERIFICATION=false (default)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ SMTP_URL: smtp.url, APP_URL: 'https://accounts.example.com', MAIL_FROM: 'Shop <auth@example.com>' });
    });
    afterAll(() => t.close());

    it('signup sends a link that verifies the address once; the user shows emailVerified', async () => {
      const email = uniqueEmail('verify');
      const signup = await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(201);
      expect(signup.body.user.emailVerified).toBe(false);
      const mail = await latestMail(smtp, t.runtime.mail, email, /Confirm your email/);
      expect(mail.from?.value[0]).toMatchObject({ name: 'Shop', address: 'auth@example.com' });
      expect(mail.text).toContain(email);
      expect(typeof mail.html).toBe('string'); // both parts
      const link = linkIn(mail);
      expect(link).toMatch(/^https:\/\/accounts\.example\.com\/verify-email\?token=[A-Za-z0-9_-]{43}$/);
      expect(mail.html).toContain(link.replaceAll('&', '&amp;'));

      const verified = await request(t.app)
        .post('/api/auth/email/verify')
        .send({ token: tokenOf(link) })
        .expect(200);
      expect(verified.body.user).toMatchObject({ email, emailVerified: true });
      expectProblem(
        await request(t.app)
          .post('/api/auth/email/verify')
          .send({ token: tokenOf(link) }),
        400,
        'invalid_link',
      );

      const login = await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD }).expect(200);
      const me = await request(t.app)
        .get('/api/auth/me')
        .set('Authorization', bearer(login.body.accessToken as string))
        .expect(200);
      expect(me.body.user.emailVerified).toBe(true);
    });

    it('stores only a hash of the token, and refuses wrong, malformed and expired tokens', async () => {
      const email = uniqueEmail('hash');
      await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(201);
      const token = tokenOf(linkIn(await latestMail(smtp, t.runtime.mail, email, /Confirm your email/)));
      const rows = await t.runtime.database.db.selectFrom('emailLinks').select('tokenHash').execute();
      expect(rows.map((r) => r.tokenHash)).not.toContain(token);

      for (const wrong of [`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, 'x', `${token}x`]) {
        expectProblem(await request(t.app).post('/api/auth/email/verify').send({ token: wrong }), 400, 'invalid_link');
      }
      expectValidationFailed(await request(t.app).post('/api/auth/email/verify').send({}), ['token']);
      expectValidationFailed(
        await request(t.app)
          .post('/api/auth/email/verify')
          .send({ token: 'a'.repeat(300) }),
        ['token'],
      );
      expectValidationFailed(await request(t.app).post('/api/auth/email/verify').send({ token: 42 }), ['token']);

      t.clock.advance(24 * 3600 * 1000 + 1000); // VERIFY_LINK_TTL
      expectProblem(await request(t.app).post('/api/auth/email/verify').send({ token }), 400, 'invalid_link');
    });

    it('verify/request: a new link for an unverified account (the old one stops working), nothing otherwise, the same 202 always', async () => {
      const email = uniqueEmail('again');
      await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(201);
      const first = tokenOf(linkIn(await latestMail(smtp, t.runtime.mail, email, /Confirm your email/)));
      const before = smtp.mails.length;
      const known = await request(t.app).post('/api/auth/email/verify/request').send({ email }).expect(202);
      const unknown = await request(t.app)
        .post('/api/auth/email/verify/request')
        .send({ email: uniqueEmail('nobody') })
        .expect(202);
      expect(known.body).toEqual({ status: 'accepted' });
      expect(unknown.body).toEqual(known.body);
      await t.runtime.mail.idle();
      expect(smtp.mails.length).toBe(before + 1);
      const second = tokenOf(linkIn(await latestMail(smtp, t.runtime.mail, email, /Confirm your email/)));
      expect(second).not.toBe(first);
      expectProblem(await request(t.app).post('/api/auth/email/verify').send({ token: first }), 400, 'invalid_link');
      await request(t.app).post('/api/auth/email/verify').send({ token: second }).expect(200);

      // Verified now: asking again sends nothing.
      await request(t.app).post('/api/auth/email/verify/request').send({ email }).expect(202);
      await t.runtime.mail.idle();
      expect(smtp.mails.length).toBe(before + 1);
    });

    it('records the steps in the audit log, never the token', async () => {
      const email = uniqueEmail('audit');
      await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(201);
      const token = tokenOf(linkIn(await latestMail(smtp, t.runtime.mail, email, /Confirm your email/)));
      const { body } = await request(t.app).post('/api/auth/email/verify').send({ token }).expect(200);
      const events = await t.runtime.database.db
        .selectFrom('auditEvents')
        .selectAll()
        .where('userId', '=', body.user.id as string)
        .execute();
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['signup', 'email.verification_sent', 'email.verified']));
      expect(JSON.stringify(events)).not.toContain(token);
    });
  });

  describe('REQUIRE_EMAIL_VERIFICATION=true', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ SMTP_URL: smtp.url, REQUIRE_EMAIL_VERIFICATION: 'true' });
    });
    afterAll(() => t.close());

    it('signup answers 202 alike for a new and a taken address; the owner of the taken one gets a notice', async () => {
      const email = uniqueEmail('enum');
      const fresh = await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD });
      const again = await request(t.app).post('/api/auth/signup').send({ email, password: 'another long password' });
      for (const res of [fresh, again]) {
        expect(res.status).toBe(202);
        expect(res.body).toEqual({ status: 'verification_sent' });
      }
      expect(Object.keys(again.headers).sort()).toEqual(Object.keys(fresh.headers).sort());
      await latestMail(smtp, t.runtime.mail, email, /Confirm your email/);
      const notice = await latestMail(smtp, t.runtime.mail, email, /tried to sign up/);
      expect(notice.text).not.toMatch(/token=/);
    });

    it('an unverified account cannot log in (403 email_unverified, only after a correct password) until it verifies', async () => {
      const email = uniqueEmail('gate');
      await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(202);
      expectProblem(
        await request(t.app).post('/api/auth/login').send({ email, password: 'wrong password here' }),
        401,
        'invalid_credentials',
      );
      expectProblem(await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD }), 403, 'email_unverified');
      const token = tokenOf(linkIn(await latestMail(smtp, t.runtime.mail, email, /Confirm your email/)));
      await request(t.app).post('/api/auth/email/verify').send({ token }).expect(200);
      await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD }).expect(200);
    });
  });
});
