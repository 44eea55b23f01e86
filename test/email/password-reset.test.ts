import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectBearerError } from '../helpers/auth-assertions.ts';
import { expectProblem, expectValidationFailed } from '../helpers/problem-assertions.ts';
import { latestMail, linkIn, recipients, startSmtpServer, tokenOf } from '../helpers/smtp.ts';
import { createTestApp, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

const NEW_PASSWORD = 'a brand new passphrase';

describe('password reset over a real SMTP server', () => {
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

  it('forgot → link → reset: the new password works, the old one does not, every session ends, the link is spent', async () => {
    const user = await signupAndLogin(t.app);
    const second = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
    const res = await request(t.app).post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
    expect(res.body).toEqual({ status: 'accepted' });
    const link = linkIn(await latestMail(smtp, t.runtime.mail, user.email, /Reset your password/));
    expect(link).toMatch(/\/reset-password\?token=/);
    const token = tokenOf(link);

    // A password the rules refuse does not spend the link.
    expectValidationFailed(await request(t.app).post('/api/auth/password/reset').send({ token, newPassword: 'short' }), ['newPassword']);
    const local = user.email.split('@')[0]!;
    expectValidationFailed(
      await request(t.app)
        .post('/api/auth/password/reset')
        .send({ token, newPassword: `${local} and more words` }),
      ['newPassword'],
    );

    await request(t.app).post('/api/auth/password/reset').send({ token, newPassword: NEW_PASSWORD }).expect(204);
    expectProblem(await request(t.app).post('/api/auth/password/reset').send({ token, newPassword: NEW_PASSWORD }), 400, 'invalid_link');
    // A spent link says so first, even with a password the rules would refuse.
    expectProblem(await request(t.app).post('/api/auth/password/reset').send({ token, newPassword: 'short' }), 400, 'invalid_link');

    for (const accessToken of [user.accessToken, second.body.accessToken as string]) {
      expectBearerError(await request(t.app).get('/api/protected').set('Authorization', bearer(accessToken)), 'token_revoked');
    }
    expect((await request(t.app).post('/api/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(401);
    expectProblem(await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD }), 401, 'invalid_credentials');
    const login = await request(t.app).post('/api/auth/login').send({ email: user.email, password: NEW_PASSWORD }).expect(200);
    expect(login.body.user.emailVerified).toBe(true); // the link reached the address

    await t.runtime.mail.idle();
    await smtp.waitFor((m) => recipients(m).includes(user.email) && /was reset/.test(m.subject ?? ''), 5000);
    const events = await t.runtime.database.db.selectFrom('auditEvents').select('type').where('userId', '=', user.userId).execute();
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['password.reset_requested', 'password.reset']));
  });

  it('answers unknown and known addresses with the same status, body and headers, and mails only the known one', async () => {
    const user = await signupAndLogin(t.app);
    await t.runtime.mail.idle();
    const before = smtp.mails.length;
    const known = await request(t.app).post('/api/auth/password/forgot').send({ email: user.email });
    const unknown = await request(t.app)
      .post('/api/auth/password/forgot')
      .send({ email: uniqueEmail('ghost') });
    expect(unknown.status).toBe(known.status);
    expect(unknown.text).toBe(known.text);
    const shape = (headers: Record<string, string>) =>
      Object.entries(headers)
        .filter(([name]) => !['date', 'x-request-id', 'ratelimit', 'ratelimit-policy'].includes(name))
        .sort();
    expect(shape(unknown.headers)).toEqual(shape(known.headers));
    await t.runtime.mail.idle();
    expect(smtp.mails.length).toBe(before + 1);
  });

  it('a newer link replaces the older one; an expired link is refused; a disabled account gets none', async () => {
    const user = await signupAndLogin(t.app);
    await request(t.app).post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
    const first = tokenOf(linkIn(await latestMail(smtp, t.runtime.mail, user.email, /Reset your password/)));
    await request(t.app).post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
    const second = tokenOf(linkIn(await latestMail(smtp, t.runtime.mail, user.email, /Reset your password/)));
    expect(second).not.toBe(first);
    expectProblem(
      await request(t.app).post('/api/auth/password/reset').send({ token: first, newPassword: NEW_PASSWORD }),
      400,
      'invalid_link',
    );
    t.clock.advance(30 * 60 * 1000 + 1000); // RESET_LINK_TTL
    expectProblem(
      await request(t.app).post('/api/auth/password/reset').send({ token: second, newPassword: NEW_PASSWORD }),
      400,
      'invalid_link',
    );
    await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
  });

  it('refuses malformed bodies with 400 and never a 500', async () => {
    for (const body of [{}, { token: '' }, { token: 'x' }, { token: 'x', newPassword: 42 }, { token: ['a'], newPassword: NEW_PASSWORD }]) {
      const res = await request(t.app).post('/api/auth/password/reset').send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expectValidationFailed(await request(t.app).post('/api/auth/password/forgot').send({ email: 'not an email' }), ['email']);
    expectValidationFailed(await request(t.app).post('/api/auth/password/forgot').send({}), ['email']);
    expectProblem(await request(t.app).post('/api/auth/password/forgot').type('form').send('email=a@b.c'), 415, 'unsupported_media_type');
  });
});

describe('mail endpoints are rate-limited per address and per client', () => {
  it('answers 429 with Retry-After past the per-address limit, for unknown addresses too', async () => {
    const t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '4' }); // 2 mails per address per window
    try {
      const email = uniqueEmail('limited');
      for (let i = 0; i < 2; i += 1) await request(t.app).post('/api/auth/password/forgot').send({ email }).expect(202);
      const limited = await request(t.app).post('/api/auth/password/forgot').send({ email });
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // The same address, spelled differently, is the same address.
      expectProblem(
        await request(t.app)
          .post('/api/auth/email/verify/request')
          .send({ email: ` ${email.toUpperCase()} ` }),
        429,
        'rate_limited',
      );
      await request(t.app)
        .post('/api/auth/password/forgot')
        .send({ email: uniqueEmail('other') })
        .expect(202);
    } finally {
      await t.close();
    }
  });

  it('answers 429 past the per-client limit, whatever the addresses', async () => {
    const t = await createTestApp({ RATE_LIMIT_IP_MAX: '30' }); // 3 mail requests per client per window
    try {
      for (let i = 0; i < 3; i += 1)
        await request(t.app)
          .post('/api/auth/password/forgot')
          .send({ email: uniqueEmail('spread') })
          .expect(202);
      expectProblem(
        await request(t.app)
          .post('/api/auth/password/forgot')
          .send({ email: uniqueEmail('spread') }),
        429,
        'rate_limited',
      );
    } finally {
      await t.close();
    }
  });
});
