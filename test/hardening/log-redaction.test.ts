import { Writable } from 'node:stream';
import { sql } from 'kysely';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createMailDelivery } from '../../src/mail/delivery.ts';
import { smtpTransport } from '../../src/mail/transports.ts';
import { startSmtpServer } from '../helpers/smtp.ts';
import { createTestApp, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { bearer } from '../helpers/auth-assertions.ts';
import { cookieHeader, sessionCookies } from '../helpers/cookies.ts';

const NEW_PASSWORD = 'my brand new secret passphrase 77';
const WRONG_PASSWORDS = [
  'wrong secret passphrase 1',
  'wrong secret passphrase 2',
  'wrong secret passphrase 3',
  'wrong secret passphrase 4',
];

describe('log redaction', () => {
  let t: TestApp;
  beforeEach(async () => {
    // debug level: every line the app could write is captured. A low account limit makes a lock-out log line.
    t = await createTestApp({ LOG_LEVEL: 'debug', RATE_LIMIT_ACCOUNT_MAX: '3' });
  });
  afterEach(() => t.close());

  it('no log line holds a password, a token or a CSRF token after a realistic flow and a 500', async () => {
    const secrets = new Set<string>([PASSWORD, NEW_PASSWORD, ...WRONG_PASSWORDS]);
    const keep = (...values: (string | undefined)[]) => {
      for (const v of values) if (v) secrets.add(v);
    };
    const email = uniqueEmail('logged');

    expect((await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD })).status).toBe(201);

    // Body login, refresh, logout.
    const login1 = await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD });
    expect(login1.status).toBe(200);
    const c1 = sessionCookies(login1);
    keep(login1.body.accessToken, login1.body.refreshToken, c1.refresh, c1.csrf);
    const refresh1 = await request(t.app).post('/api/auth/refresh').send({ refreshToken: login1.body.refreshToken });
    expect(refresh1.status).toBe(200);
    const c1b = sessionCookies(refresh1);
    keep(refresh1.body.accessToken, refresh1.body.refreshToken, c1b.refresh, c1b.csrf);
    // Reuse of the rotated token (a warn line).
    expect((await request(t.app).post('/api/auth/refresh').send({ refreshToken: login1.body.refreshToken })).status).toBe(401);

    // Cookie login, refresh and logout with CSRF.
    const login2 = await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD });
    expect(login2.status).toBe(200);
    const c2 = sessionCookies(login2);
    keep(login2.body.accessToken, login2.body.refreshToken, c2.refresh, c2.csrf);
    const refresh2 = await request(t.app)
      .post('/api/auth/refresh')
      .set('Cookie', cookieHeader({ refresh_token: c2.refresh, csrf_token: c2.csrf }))
      .set('X-CSRF-Token', c2.csrf);
    expect(refresh2.status).toBe(200);
    const c2b = sessionCookies(refresh2);
    keep(refresh2.body.accessToken, refresh2.body.refreshToken, c2b.refresh, c2b.csrf);
    // A CSRF failure (wrong header) and the real logout.
    expect(
      (
        await request(t.app)
          .post('/api/auth/refresh')
          .set('Cookie', cookieHeader({ refresh_token: c2b.refresh, csrf_token: c2b.csrf }))
          .set('X-CSRF-Token', 'not-the-csrf-token')
      ).status,
    ).toBe(403);
    const logout = await request(t.app)
      .post('/api/auth/logout')
      .set('Authorization', bearer(refresh2.body.accessToken))
      .set('Cookie', cookieHeader({ refresh_token: c2b.refresh, csrf_token: c2b.csrf }))
      .set('X-CSRF-Token', c2b.csrf);
    expect(logout.status).toBe(204);

    // Password change (and a wrong current password first).
    const login3 = await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD });
    expect(login3.status).toBe(200);
    keep(login3.body.accessToken, login3.body.refreshToken);
    expect(
      (
        await request(t.app)
          .post('/api/auth/password')
          .set('Authorization', bearer(login3.body.accessToken))
          .send({ currentPassword: WRONG_PASSWORDS[0], newPassword: NEW_PASSWORD })
      ).status,
    ).toBe(401);
    expect(
      (
        await request(t.app)
          .post('/api/auth/password')
          .set('Authorization', bearer(login3.body.accessToken))
          .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
      ).status,
    ).toBe(204);
    expect((await request(t.app).get('/api/auth/me').set('Authorization', bearer(login3.body.accessToken))).status).toBe(200);

    // Failed logins up to a lock-out (3 failures, then 429).
    for (const wrong of WRONG_PASSWORDS) await request(t.app).post('/api/auth/login').send({ email, password: wrong });
    expect((await request(t.app).post('/api/auth/login').send({ email, password: NEW_PASSWORD })).status).toBe(429);
    // Unknown email, bad tokens.
    await request(t.app)
      .post('/api/auth/login')
      .send({ email: uniqueEmail('ghost'), password: WRONG_PASSWORDS[1] });
    await request(t.app)
      .get('/api/protected')
      .set('Authorization', bearer(`${login3.body.accessToken}x`));

    // A 500: the users table is gone under the app.
    await sql`alter table users rename to users_gone`.execute(t.runtime.database.db);
    const broken = [
      await request(t.app)
        .post('/api/auth/signup')
        .send({ email: uniqueEmail('broken'), password: PASSWORD }),
      await request(t.app)
        .post('/api/auth/login')
        .send({ email: uniqueEmail('broken'), password: NEW_PASSWORD }),
      await request(t.app).post('/api/auth/refresh').send({ refreshToken: login3.body.refreshToken }),
      await request(t.app).get('/api/auth/me').set('Authorization', bearer(login3.body.accessToken)),
      await request(t.app)
        .post('/api/auth/password')
        .set('Authorization', bearer(login3.body.accessToken))
        .send({ currentPassword: NEW_PASSWORD, newPassword: `${NEW_PASSWORD}!` }),
    ];
    expect(broken.map((r) => r.status)).toContain(500);
    secrets.add(`${NEW_PASSWORD}!`);
    await sql`alter table users_gone rename to users`.execute(t.runtime.database.db);

    // The app did log (errors included), so the check below is not vacuous.
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.some((line) => /"level":50/.test(line))).toBe(true);

    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(5);
      const leaking = t.logs.filter((line) => line.includes(secret));
      expect(leaking, `a log line contains a secret (${secret.slice(0, 12)}...)`).toEqual([]);
    }
    // Not even the signature part of a token.
    for (const secret of secrets) {
      const parts = secret.split('.');
      if (parts.length === 3) expect(t.logs.filter((line) => line.includes(parts[2]!))).toEqual([]);
    }
  });
});

/** A stream that appends each line to `lines` (a TestApp's logs, say). */
const into = (lines: string[]) =>
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });

/**
 * Red-team finding 5 (issue 25): "mail not sent; retrying" carried the recipient and the relay's
 * reply (`550 5.1.1 <victim@…>: Recipient address rejected`). v3: logs never carry an email
 * address or a mail server's reply text; mail failures log the SMTP code.
 */
describe('mail failures in the log', () => {
  const REPLY = 'Recipient address rejected: User unknown in virtual mailbox table';

  it('a relay that rejects the recipient: every failure line has the template, user id, attempt and 550, never the address or the reply', async () => {
    const smtp = await startSmtpServer({ rejectRecipient: (to) => ({ code: 550, message: `5.1.1 <${to}>: ${REPLY}` }) });
    const t = await createTestApp({ LOG_LEVEL: 'debug', SMTP_URL: smtp.url });
    try {
      // The test app's own configuration and log, with a delivery that retries in milliseconds.
      const logger = createLogger('debug', into(t.logs));
      const mail = createMailDelivery({ transport: smtpTransport(smtp.url, t.config.mail.from), logger, retryDelaysMs: [5, 5] });
      const app = createApp({ config: t.config, ...t.runtime, clock: t.clock, logger, mail });
      const victim = uniqueEmail('victim');
      const signup = await request(app).post('/api/auth/signup').send({ email: victim, password: PASSWORD }).expect(201);
      await mail.idle();
      mail.close();

      const [local] = victim.split('@');
      for (const leak of [victim, local!, REPLY, '5.1.1', 'RCPT']) {
        expect(
          t.logs.filter((line) => line.includes(leak)),
          leak,
        ).toEqual([]);
      }
      const failures = t.logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => /^mail not sent/.test(String(entry.msg)));
      expect(failures.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
      for (const entry of failures) {
        expect(entry).toMatchObject({ template: 'verify-email', userId: signup.body.user.id, smtpCode: 550 });
      }
      expect(failures.at(-1)?.msg).toBe('mail not sent; giving up');
    } finally {
      await t.close();
      await smtp.close();
    }
  });

  it('a relay that cannot be reached: the failure names the error code, not the address', async () => {
    const t = await createTestApp({ LOG_LEVEL: 'debug' });
    try {
      const logger = createLogger('debug', into(t.logs));
      // The discard port: the connection is refused.
      const mail = createMailDelivery({ transport: smtpTransport('smtp://127.0.0.1:9', t.config.mail.from), logger, retryDelaysMs: [] });
      const app = createApp({ config: t.config, ...t.runtime, clock: t.clock, logger, mail });
      const victim = uniqueEmail('unreachable');
      await request(app).post('/api/auth/signup').send({ email: victim, password: PASSWORD }).expect(201);
      await mail.idle();
      mail.close();
      const failure = t.logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry.msg === 'mail not sent; giving up');
      expect(failure).toMatchObject({ template: 'verify-email', attempt: 1, error: 'ESOCKET' });
      expect(failure).not.toHaveProperty('smtpCode');
      expect(t.logs.filter((line) => line.includes(victim.split('@')[0]!))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('createLogger redaction', () => {
  it('redacts passwords, tokens, Authorization and Cookie headers', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', sink);
    logger.info(
      { password: 'x1', refreshToken: 'x2', req: { headers: { authorization: 'Bearer x3', cookie: 'refresh_token=x4' } } },
      'hello',
    );
    logger.info({ currentPassword: 'x5', newPassword: 'x6', accessToken: 'x7', token: 'x8' });
    logger.info({ body: { password: 'x9', refreshToken: 'y1', accessToken: 'y2' } });
    logger.info({ headers: { authorization: 'Bearer y3', cookie: 'csrf_token=y4' } });
    expect(lines).toHaveLength(4);
    const text = lines.join('\n');
    for (const secret of ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'y1', 'y2', 'y3', 'y4']) {
      expect(text, secret).not.toContain(secret);
    }
    // The lines are still there, with the fields censored rather than dropped.
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first.msg).toBe('hello');
    expect(first).toHaveProperty('password');
  });

  it('logs no email address and no mail server reply from any error object', () => {
    const lines: string[] = [];
    const logger = createLogger('info', into(lines));
    // A PostgreSQL unique violation quotes the value in `detail`; a message may quote an address too.
    const database = Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), {
      code: '23505',
      detail: 'Key (email)=(Victim.Name+tag@Example.com) already exists.',
    });
    logger.error({ err: database }, 'database');
    logger.error({ err: new Error('no account for <victim@example.com>') }, 'message');
    // nodemailer's shape for a rejected recipient.
    const smtp = Object.assign(
      new Error("Can't send mail - all recipients were rejected: 550 5.7.1 Relaying denied for victim@example.com"),
      {
        code: 'EENVELOPE',
        response: '550 5.7.1 Relaying denied for victim@example.com',
        responseCode: 550,
        rejected: ['victim@example.com'],
      },
    );
    logger.error({ err: smtp }, 'smtp');
    const text = lines.join('\n');
    for (const leak of ['Victim.Name', 'victim@', 'Relaying denied', '5.7.1']) expect(text, leak).not.toContain(leak);
    const [db, message, mail] = lines.map((line) => (JSON.parse(line) as { err: Record<string, unknown> }).err);
    // What an operator needs stays: the error, its code, the constraint, where it was thrown.
    expect(db).toMatchObject({ type: 'Error', code: '23505', detail: 'Key (email)=([address]) already exists.' });
    expect(String(db!.stack)).toContain('log-redaction.test.ts');
    expect(message!.message).toBe('no account for <[address]>');
    expect(mail).toEqual({ type: 'Error', code: 'EENVELOPE', responseCode: 550 });
  });
});
