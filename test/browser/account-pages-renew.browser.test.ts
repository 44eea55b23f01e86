import express from 'express';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PAGES_CSP } from '../../src/email/account-pages.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../helpers/chromium.ts';
import { fakeClock } from '../helpers/clock.ts';
import { TEST_DIALECT } from '../helpers/database.ts';
import { listen } from '../helpers/listen.ts';
import { linkIn, recipients, startSmtpServer, type SmtpServer } from '../helpers/smtp.ts';
import { createTestApp, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

const DEAD_LINK = 'This link has expired or was already used.';
const ON_ITS_WAY = 'If an account exists for that address, a new link is on its way.';
const WAIT = { timeout: 10_000 };
const HOUR = 3_600_000;

const available = chromiumAvailable('account pages (new link) browser tests');

/**
 * A link that can do nothing more (spent, expired, cut short) must not leave the user with a
 * dead button: the page offers to mail a new link, through the same enumeration-safe endpoints
 * an app would call. Mails go to a real SMTP server; the pages run in Chromium under their CSP.
 */
describe.runIf(available && TEST_DIALECT === 'sqlite')('the account pages in Chromium: asking for a new link', () => {
  const clock = fakeClock(Date.now());
  let smtp: SmtpServer;
  let server: Awaited<ReturnType<typeof listen>>;
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let requests: Request[];
  let problems: string[];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await listen(express());
    t = await createTestApp({ SMTP_URL: smtp.url, APP_URL: server.url }, { clock });
    server.server.removeAllListeners('request').on('request', t.app);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.runtime.mail.idle();
    await t?.close();
    await smtp?.close();
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 800, height: 760 } });
    requests = [];
    problems = [];
    await context.addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    });
    context.on('request', (r) => requests.push(r));
    context.on('weberror', (e) => problems.push(`page error: ${e.error().message}`));
    context.on('console', (m) => {
      // The refused POST of a dead link (400 invalid_link) is logged by Chromium itself.
      const expected =
        /^Failed to load resource: .* status of 400/.test(m.text()) && new URL(m.location().url).pathname.startsWith('/api/auth/');
      if ((m.type() === 'error' && !expected) || /Content.Security.Policy|CSP/i.test(m.text())) problems.push(`console: ${m.text()}`);
    });
  });
  afterEach(async () => {
    expect(problems).toEqual([]);
    await context.close();
  });

  const mailsTo = (address: string, subject: string) => smtp.mails.filter((m) => recipients(m).includes(address) && m.subject === subject);
  const status = (page: Page) => page.locator('#status').textContent();
  const posted = (path: string) => requests.filter((r) => r.method() === 'POST' && r.url() === `${server.url}${path}`);

  async function openPage(page: Page, link: string): Promise<void> {
    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    // The page's CSP and security headers are those of every link page: nothing loosened for the form.
    expect(response?.headers()['content-security-policy']).toBe(PAGES_CSP);
    expect(response?.headers()['x-content-type-options']).toBe('nosniff');
  }

  /** After a refused link: the action is gone, and the page offers a new link instead. */
  async function expectRenewForm(page: Page, action: string): Promise<void> {
    await page.getByRole('alert').filter({ hasText: DEAD_LINK }).waitFor(WAIT);
    expect(await page.getByRole('button', { name: action }).count()).toBe(0);
    expect(await page.locator('#form').isHidden()).toBe(true);
    expect(await page.getByRole('heading', { name: 'Ask for a new link' }).isVisible()).toBe(true);
    expect(await page.getByLabel('Email address').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('renew-email');
  }

  /** Fills the renew form and checks the answer: 202, and the page's one sentence whatever the address. */
  async function askForNewLink(page: Page, email: string, path: string): Promise<void> {
    const before = posted(path).length;
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Send a new link' }).click();
    await expect.poll(() => status(page), WAIT).toBe(ON_ITS_WAY);
    const sent = posted(path);
    expect(sent).toHaveLength(before + 1);
    expect(sent.at(-1)!.postDataJSON()).toEqual({ email });
    expect((await sent.at(-1)!.response())?.status()).toBe(202);
    expect(await page.locator('#renew').isHidden()).toBe(true);
    expect(await page.getByRole('alert').count()).toBe(0);
  }

  it('verify-email: an expired link gives way to a form that mails a new one, and the new link works', async () => {
    const user = await signupAndLogin(t.app, uniqueEmail('renew-verify'));
    await t.runtime.mail.idle();
    const [first] = mailsTo(user.email, 'Confirm your email address');
    const expired = linkIn(first!);
    clock.advance(25 * HOUR); // VERIFY_LINK_TTL is 24h

    const page = await context.newPage();
    await openPage(page, expired);
    await page.getByRole('button', { name: 'Confirm my address' }).click();
    await expectRenewForm(page, 'Confirm my address');
    expect((await posted('/api/auth/email/verify')[0]?.response())?.status()).toBe(400);
    await page.screenshot({ path: '/tmp/account-renew-verify.png', fullPage: true });

    await askForNewLink(page, user.email, '/api/auth/email/verify/request');
    await page.screenshot({ path: '/tmp/account-renew-verify-sent.png', fullPage: true });
    await t.runtime.mail.idle();
    const mails = mailsTo(user.email, 'Confirm your email address');
    expect(mails).toHaveLength(2);
    const fresh = linkIn(mails[1]!);
    expect(fresh).not.toBe(expired);

    await openPage(page, fresh);
    await page.getByRole('button', { name: 'Confirm my address' }).click();
    await expect.poll(() => status(page), WAIT).toBe(`Thank you: ${user.email} is confirmed. You can close this page and log in.`);
  });

  it('the same answer for an address without an account, and no mail', async () => {
    const page = await context.newPage();
    await openPage(page, `${server.url}/verify-email?token=${'x'.repeat(43)}`);
    await page.getByRole('button', { name: 'Confirm my address' }).click();
    await expectRenewForm(page, 'Confirm my address');
    // The browser takes an address without a dot in its domain; the API does not, and the page says why at the field.
    const email = page.getByLabel('Email address');
    await email.fill('ada@localhost');
    await page.getByRole('button', { name: 'Send a new link' }).click();
    await page.locator('#renew-error').filter({ hasText: 'Must be a valid email address.' }).waitFor(WAIT);
    expect((await posted('/api/auth/email/verify/request')[0]?.response())?.status()).toBe(400);
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('button', { name: 'Send a new link' }).isEnabled()).toBe(true);

    const nobody = uniqueEmail('nobody');
    await askForNewLink(page, nobody, '/api/auth/email/verify/request');
    expect(await email.getAttribute('aria-invalid')).toBeNull();
    await t.runtime.mail.idle();
    expect(smtp.mails.filter((m) => recipients(m).includes(nobody))).toEqual([]);
  });

  it('reset-password: a used link gives way to a form that mails a new reset link', async () => {
    const user = await signupAndLogin(t.app, uniqueEmail('renew-reset'));
    await request(t.app).post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
    await t.runtime.mail.idle();
    const used = linkIn(mailsTo(user.email, 'Reset your password')[0]!);
    const token = new URL(used).searchParams.get('token');
    await request(t.app).post('/api/auth/password/reset').send({ token, newPassword: 'violet kettle on a windy pier' }).expect(204);

    const page = await context.newPage();
    await openPage(page, used);
    await page.getByLabel('New password', { exact: true }).fill('another kettle on the pier');
    await page.getByLabel('New password, again').fill('another kettle on the pier');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await expectRenewForm(page, 'Set the new password');
    expect(await page.getByLabel('New password', { exact: true }).isVisible()).toBe(false);

    await askForNewLink(page, user.email, '/api/auth/password/forgot');
    await t.runtime.mail.idle();
    const mails = mailsTo(user.email, 'Reset your password');
    expect(mails).toHaveLength(2);
    expect(linkIn(mails[1]!)).toMatch(new RegExp(`^${server.url}/reset-password\\?token=[\\w-]{43}$`));
    expect(linkIn(mails[1]!)).not.toBe(used);
  });

  it('confirm-email: a used link says to start the change again from the app, with no form', async () => {
    const user = await signupAndLogin(t.app, uniqueEmail('renew-change'));
    const newEmail = uniqueEmail('renew-change-to');
    await request(t.app)
      .post('/api/auth/email/change')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .send({ newEmail, currentPassword: user.password })
      .expect(202);
    await t.runtime.mail.idle();
    const link = linkIn(mailsTo(newEmail, 'Confirm your new email address')[0]!);
    await request(t.app)
      .post('/api/auth/email/change/confirm')
      .send({ token: new URL(link).searchParams.get('token') })
      .expect(200);

    const page = await context.newPage();
    await openPage(page, link);
    await page.getByRole('button', { name: 'Confirm the new address' }).click();
    await page.getByRole('alert').filter({ hasText: DEAD_LINK }).waitFor(WAIT);
    expect(await page.getByRole('button').count()).toBe(0);
    expect(await page.getByRole('textbox').count()).toBe(0);
    const renew = page.locator('#renew');
    expect(await renew.getByRole('heading', { name: 'Start the change again' }).isVisible()).toBe(true);
    expect(await renew.textContent()).toContain('sign in to the app, change your email address there');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Start the change again');
    await page.screenshot({ path: '/tmp/account-renew-confirm.png', fullPage: true });
  });

  it('a link without its token offers the same way out, with no button that cannot work', async () => {
    const page = await context.newPage();
    for (const [path, action] of [
      ['/verify-email', 'Confirm my address'],
      ['/reset-password?token=', 'Set the new password'],
      ['/confirm-email', 'Confirm the new address'],
    ] as const) {
      await openPage(page, `${server.url}${path}`);
      await page.getByRole('alert').filter({ hasText: 'This link is incomplete. Open the whole link from the mail.' }).waitFor(WAIT);
      expect(await page.getByRole('button', { name: action }).count(), path).toBe(0);
      expect(await page.locator('#renew').isVisible(), path).toBe(true);
      expect(await page.getByLabel('Email address').count(), path).toBe(path === '/confirm-email' ? 0 : 1);
    }
  });
});
