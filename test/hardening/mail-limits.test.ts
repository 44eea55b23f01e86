import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../helpers/problem-assertions.ts';
import { recipients, startSmtpServer, type SmtpServer } from '../helpers/smtp.ts';
import { createTestApp, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { bearer } from '../helpers/auth-assertions.ts';

/** `x-<pid>-<n>@example.com` → `x-<pid>-<n>+<tag>@example.com`. */
const tagged = (email: string, tag: string | number) => email.replace('@', `+${tag}@`);

/**
 * Red-team finding 4 (issue 25): signup's verification mail went out past every mail limit, so
 * 40 signups to x+1@ … x+40@ put 40 mails in one inbox. Signup now counts against the same
 * per-client and per-address limits as the other mail-sending endpoints, and an address is
 * counted without its `+tag`.
 */
describe('mail limits cover signup, and count an address without its +tag', () => {
  let smtp: SmtpServer;
  let t: TestApp | undefined;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(() => smtp.close());
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const signup = (app: TestApp, email: string) => request(app.app).post('/api/auth/signup').send({ email, password: PASSWORD });
  const mailsTo = (base: string) => {
    const [local, domain] = base.split('@');
    return smtp.mails.filter((mail) => recipients(mail).some((to) => to.startsWith(`${local}+`) && to.endsWith(`@${domain}`)));
  };

  it('40 signups to x+1@ … x+40@ send as many mails as the per-address limit, then 429 with Retry-After', async () => {
    // RATE_LIMIT_ACCOUNT_MAX's default (10): 5 mails per address per window.
    t = await createTestApp({ SMTP_URL: smtp.url, RATE_LIMIT_ACCOUNT_MAX: '10' });
    const base = uniqueEmail('x');
    const statuses: number[] = [];
    for (let n = 1; n <= 40; n += 1) {
      const res = await signup(t, tagged(base, n));
      statuses.push(res.status);
      if (res.status === 429) {
        expectProblem(res, 429, 'rate_limited');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([...Array<number>(5).fill(201), ...Array<number>(35).fill(429)]);
    await t.runtime.mail.idle();
    expect(mailsTo(base)).toHaveLength(5);
    // The address without a tag, and in capitals, is the same inbox.
    expectProblem(await signup(t, base.toUpperCase()), 429, 'rate_limited');
    // Another address is not affected.
    expect((await signup(t, uniqueEmail('other'))).status).toBe(201);
  });

  it('a body with no address mails nobody: it gets its 400 every time, never a shared bucket’s 429', async () => {
    t = await createTestApp({ SMTP_URL: smtp.url, RATE_LIMIT_ACCOUNT_MAX: '10' }); // 5 per address
    for (const body of [{ password: PASSWORD }, { email: 42 }, { email: '' }, { email: 'no-at-sign' }, {}, { email: null }, {}, {}]) {
      expectProblem(await request(t.app).post('/api/auth/signup').send(body), 400, 'validation_failed');
      expectProblem(await request(t.app).post('/api/auth/password/forgot').send(body), 400, 'validation_failed');
    }
  });

  it('signups and the other mail requests share one per-client budget', async () => {
    t = await createTestApp({ SMTP_URL: smtp.url, RATE_LIMIT_IP_MAX: '60' }); // 6 mail requests per client per window
    const base = uniqueEmail('spread');
    for (let n = 1; n <= 3; n += 1) {
      await request(t.app)
        .post('/api/auth/password/forgot')
        .send({ email: uniqueEmail('spread-forgot') })
        .expect(202);
    }
    for (let n = 1; n <= 3; n += 1) expect((await signup(t, uniqueEmail(`spread-${n}`))).status).toBe(201);
    expectProblem(await signup(t, tagged(base, 'late')), 429, 'rate_limited');
    expectProblem(
      await request(t.app)
        .post('/api/auth/password/forgot')
        .send({ email: uniqueEmail('late') }),
      429,
      'rate_limited',
    );
  });

  it('with REQUIRE_EMAIL_VERIFICATION=true a limited signup says nothing about the account: same 429 for a taken and a new address', async () => {
    t = await createTestApp({ SMTP_URL: smtp.url, REQUIRE_EMAIL_VERIFICATION: 'true', RATE_LIMIT_ACCOUNT_MAX: '4' }); // 2 per address
    const taken = uniqueEmail('taken');
    const fresh = uniqueEmail('fresh');
    // One request against each address so far: the account's creation, and a forgot for the free address.
    expect((await signup(t, taken)).status).toBe(202);
    await request(t.app).post('/api/auth/password/forgot').send({ email: fresh }).expect(202);

    // An existing account and a new one: the same 202, then the same 429.
    const second = [await signup(t, taken), await signup(t, fresh)];
    expect(second.map((r) => r.status)).toEqual([202, 202]);
    expect(second[0]!.body).toEqual(second[1]!.body);
    const third = [await signup(t, tagged(taken, 'b')), await signup(t, tagged(fresh, 'b'))];
    for (const res of third) expectProblem(res, 429, 'rate_limited');
    expect(third[0]!.body).toEqual(third[1]!.body);
    expect(Object.keys(third[0]!.headers).sort()).toEqual(Object.keys(third[1]!.headers).sort());
  });

  it('forgot, verify/request and email change count +tag variants as one address', async () => {
    t = await createTestApp({ SMTP_URL: smtp.url, RATE_LIMIT_ACCOUNT_MAX: '6' }); // 3 per address
    const target = uniqueEmail('v');
    await request(t.app)
      .post('/api/auth/password/forgot')
      .send({ email: tagged(target, 1) })
      .expect(202);
    await request(t.app)
      .post('/api/auth/email/verify/request')
      .send({ email: tagged(target, 'two').toUpperCase() })
      .expect(202);
    const { app } = t;
    const user = await signupAndLogin(app);
    const change = () =>
      request(app)
        .post('/api/auth/email/change')
        .set('Authorization', bearer(user.accessToken))
        .send({ newEmail: tagged(target, 3), currentPassword: PASSWORD });
    expect((await change()).status).toBe(202);
    expectProblem(await change(), 429, 'rate_limited');
    expectProblem(await request(t.app).post('/api/auth/password/forgot').send({ email: target }), 429, 'rate_limited');
    expectProblem(
      await request(t.app)
        .post('/api/auth/email/verify/request')
        .send({ email: tagged(target, 'four') }),
      429,
      'rate_limited',
    );
    // A different mailbox at the same domain is counted apart.
    await request(t.app)
      .post('/api/auth/password/forgot')
      .send({ email: uniqueEmail('v') })
      .expect(202);
  });

  it('the counted address is the endpoint’s own field: an extra `email` on an email change does not escape the limit', async () => {
    t = await createTestApp({ SMTP_URL: smtp.url, RATE_LIMIT_ACCOUNT_MAX: '4' }); // 2 per address
    const { app } = t;
    const user = await signupAndLogin(app);
    const victim = uniqueEmail('flooded');
    const statuses: number[] = [];
    for (let n = 0; n < 6; n += 1) {
      const res = await request(app)
        .post('/api/auth/email/change')
        .set('Authorization', bearer(user.accessToken))
        .send({ newEmail: victim, currentPassword: PASSWORD, email: `decoy-${n}` });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([202, 202, 429, 429, 429, 429]);
    await t.runtime.mail.idle();
    expect(smtp.mails.filter((mail) => recipients(mail).includes(victim))).toHaveLength(2);
  });

  it('requests refused as malformed (a weak password) spend nothing: the real signup still mails', async () => {
    t = await createTestApp({ SMTP_URL: smtp.url, RATE_LIMIT_ACCOUNT_MAX: '4' }); // 2 per address
    const email = uniqueEmail('patient');
    for (let n = 0; n < 5; n += 1) {
      expectProblem(await request(t.app).post('/api/auth/signup').send({ email, password: 'short' }), 400, 'validation_failed');
    }
    expect((await signup(t, email)).status).toBe(201);
    await request(t.app).post('/api/auth/password/forgot').send({ email }).expect(202);
    expectProblem(await request(t.app).post('/api/auth/password/forgot').send({ email }), 429, 'rate_limited');
  });
});
