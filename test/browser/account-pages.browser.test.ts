import express from 'express';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../helpers/chromium.ts';
import { TEST_DIALECT } from '../helpers/database.ts';
import { listen } from '../helpers/listen.ts';
import { linkIn, recipients, startSmtpServer, type SmtpServer } from '../helpers/smtp.ts';
import { createTestApp, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

const SCREENSHOT = '/tmp/account-reset.png';
const NEW_PASSWORD = 'violet kettle on a windy pier';
/** In zxcvbn's list of common passwords, and long enough for the page's own `minlength`. */
const COMMON_PASSWORD = 'password123';
const USED_LINK = 'This link has expired or was already used.';
const INCOMPLETE_LINK = 'This link is incomplete. Open the whole link from the mail.';
const WAIT = { timeout: 10_000 };

const available = chromiumAvailable('account pages browser tests');

/** The page's structure as a screen reader meets it; each problem found is one line. */
const accessibilityProblems = (page: Page) =>
  page.evaluate(() => {
    const problems: string[] = [];
    if (!document.documentElement.lang) problems.push('<html> has no lang');
    const headings = document.querySelectorAll('h1').length;
    if (headings !== 1) problems.push(`${headings} <h1> elements`);
    for (const input of document.querySelectorAll('input, select, textarea')) {
      const label = input.id ? document.querySelector(`label[for="${input.id}"]`) : null;
      if (!label?.textContent?.trim()) problems.push(`${input.outerHTML} has no <label for>`);
    }
    for (const described of document.querySelectorAll('[aria-describedby]')) {
      for (const id of described.getAttribute('aria-describedby')!.split(/\s+/)) {
        if (!document.getElementById(id)) problems.push(`aria-describedby names a missing #${id}`);
      }
    }
    const status = document.getElementById('status');
    if (status?.getAttribute('role') !== 'status' || !status.getAttribute('aria-live')) problems.push('no role=status aria-live region');
    if (document.getElementById('error')?.getAttribute('role') !== 'alert') problems.push('#error is not role=alert');
    for (const button of document.querySelectorAll('button')) if (!button.textContent?.trim()) problems.push('a button without a name');
    return problems;
  });

// The pages are the subject here, not the database (the HTTP suites run the flows on every dialect).
describe.runIf(available && TEST_DIALECT === 'sqlite')('the account pages in Chromium, opened from real mails', () => {
  let smtp: SmtpServer;
  let server: Awaited<ReturnType<typeof listen>>;
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let requests: Request[];
  let problems: string[];
  /** The tokens of the links opened in the current test. */
  let tokens: string[];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    // The links in the mails start with APP_URL, known once the server listens: listen first,
    // then hand its requests to the app.
    server = await listen(express());
    t = await createTestApp({ SMTP_URL: smtp.url, APP_URL: server.url });
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

  // A fresh browser per test; every page is watched for errors, CSP reports and what it requests.
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 800, height: 720 } });
    requests = [];
    problems = [];
    tokens = [];
    await context.addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    });
    context.on('request', (r) => requests.push(r));
    context.on('weberror', (e) => problems.push(`page error: ${e.error().message}`));
    context.on('console', (m) => {
      // Chromium logs each 4xx: a refused POST (invalid_link, validation_failed) the page handles,
      // (/favicon.ico answers 204, so the browser's own look for it logs nothing).
      const { pathname } = new URL(m.location().url || 'about:blank');
      const expected = /^Failed to load resource: .* status of 4\d\d/.test(m.text()) && pathname.startsWith('/api/auth/');
      if ((m.type() === 'error' && !expected) || /Content.Security.Policy|CSP/i.test(m.text()))
        problems.push(`console ${m.type()}: ${m.text()} (${m.location().url})`);
    });
  });
  afterEach(async () => {
    const host = new URL(server.url).host;
    expect(requests.map((r) => r.url()).filter((url) => new URL(url).host !== host)).toEqual([]);
    // Only the navigation to the link carries its token; nothing else does, not even as a Referer.
    for (const r of requests.filter((r) => !r.isNavigationRequest())) {
      const headers = await r.allHeaders();
      expect(headers.referer ?? '', r.url()).toBe('');
      for (const token of tokens) expect(`${r.url()} ${JSON.stringify(headers)}`).not.toContain(token);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  const me = async (accessToken: string) =>
    (await request(t.app).get('/api/auth/me').set('Authorization', `Bearer ${accessToken}`).expect(200)).body.user;
  const login = (email: string, password: string) => request(t.app).post('/api/auth/login').send({ email, password });
  const mailTo = (address: string, subject: string) => smtp.waitFor((m) => recipients(m).includes(address) && m.subject === subject);
  const status = (page: Page) => page.locator('#status').textContent();
  const alert = (page: Page, text: string) => page.getByRole('alert').filter({ hasText: text });

  /** Opens a mailed link as a click in the mail would, and checks what the page does with the token. */
  async function open(page: Page, link: string): Promise<void> {
    const { pathname, searchParams } = new URL(link);
    const token = searchParams.get('token')!;
    tokens.push(token);
    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(await response?.text()).not.toContain(token);
    // history.replaceState: the one-time secret leaves the address bar (and the history entry).
    await expect.poll(() => page.url(), WAIT).toBe(`${server.url}${pathname}`);
    expect(await page.evaluate(() => location.href)).not.toContain(token);
    for (const asset of ['/assets/account.css', '/assets/account.js']) {
      const loaded = requests.find((r) => r.url() === `${server.url}${asset}`);
      expect((await loaded?.response())?.status(), asset).toBe(200);
    }
    expect(await accessibilityProblems(page)).toEqual([]);
  }

  it('verify-email: the link in the signup mail confirms the address, once', async () => {
    const user = await signupAndLogin(t.app, uniqueEmail('verify'));
    await t.runtime.mail.idle();
    const link = linkIn(await mailTo(user.email, 'Confirm your email address'));
    expect(link).toMatch(new RegExp(`^${server.url}/verify-email\\?token=[\\w-]{43}$`));
    expect(await me(user.accessToken)).toMatchObject({ email: user.email, emailVerified: false });

    const page = await context.newPage();
    await open(page, link);
    await page.getByRole('button', { name: 'Confirm my address' }).click();
    await expect.poll(() => status(page), WAIT).toBe(`Thank you: ${user.email} is confirmed. You can close this page and log in.`);
    expect(await page.locator('#form').isHidden()).toBe(true);
    expect(await me(user.accessToken)).toMatchObject({ email: user.email, emailVerified: true });

    await open(page, link);
    await page.getByRole('button', { name: 'Confirm my address' }).click();
    await alert(page, USED_LINK).waitFor(WAIT);
    expect(await status(page)).toBe('');
  });

  it('reset-password: the mailed link sets a new password, after a mismatch and a refused password', async () => {
    const user = await signupAndLogin(t.app, uniqueEmail('reset'));
    await request(t.app).post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
    await t.runtime.mail.idle();
    const link = linkIn(await mailTo(user.email, 'Reset your password'));
    expect(link).toMatch(new RegExp(`^${server.url}/reset-password\\?token=[\\w-]{43}$`));

    const page = await context.newPage();
    await open(page, link);
    const password = page.getByLabel('New password', { exact: true });
    const confirm = page.getByLabel('New password, again');
    const submit = page.getByRole('button', { name: 'Set the new password' });
    const resets = () => requests.filter((r) => r.url() === `${server.url}/api/auth/password/reset`);

    // Checked in the page: nothing is sent.
    await password.fill(NEW_PASSWORD);
    await confirm.fill(`${NEW_PASSWORD}!`);
    await submit.click();
    await alert(page, 'The two passwords differ.').waitFor(WAIT);
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
    expect(resets()).toEqual([]);

    // Refused by the server's rules: the reason shows at the field, and the link is not spent.
    await password.fill(COMMON_PASSWORD);
    await confirm.fill(COMMON_PASSWORD);
    await submit.click();
    await alert(page, 'This password is among the most common ones; choose another.').waitFor(WAIT);
    expect((await resets()[0]?.response())?.status()).toBe(400);
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#error').isHidden()).toBe(true);
    expect(await submit.isEnabled()).toBe(true);
    expect(await status(page)).toBe('');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Enter in the password field submits the form.
    await password.fill(NEW_PASSWORD);
    await confirm.fill(NEW_PASSWORD);
    await password.press('Enter');
    await expect
      .poll(() => status(page), WAIT)
      .toBe('Your new password is set, and every session was logged out. Log in with the new password.');
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(resets()).toHaveLength(2);

    expect((await login(user.email, PASSWORD)).status).toBe(401);
    const relogin = await login(user.email, NEW_PASSWORD);
    expect(relogin.status).toBe(200);
    expect(relogin.body.user).toMatchObject({ emailVerified: true });
    // Every session ended: the access token from before the reset is refused.
    await request(t.app).get('/api/auth/me').set('Authorization', `Bearer ${user.accessToken}`).expect(401);
    await t.runtime.mail.idle();
    const notice = await mailTo(user.email, 'Your password was reset');
    expect(() => linkIn(notice)).toThrow(/no link/);

    await open(page, link);
    await password.fill(`${NEW_PASSWORD} again`);
    await confirm.fill(`${NEW_PASSWORD} again`);
    await submit.click();
    await alert(page, USED_LINK).waitFor(WAIT);
    expect((await login(user.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('confirm-email: the link mailed to the new address moves the account there', async () => {
    const user = await signupAndLogin(t.app, uniqueEmail('change-from'));
    const newEmail = uniqueEmail('change-to');
    await request(t.app)
      .post('/api/auth/email/change')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .send({ newEmail, currentPassword: user.password })
      .expect(202);
    await t.runtime.mail.idle();
    const link = linkIn(await mailTo(newEmail, 'Confirm your new email address'));
    expect(link).toMatch(new RegExp(`^${server.url}/confirm-email\\?token=[\\w-]{43}$`));
    // The old address hears of it, without a link.
    const notice = await mailTo(user.email, 'Your account’s email address is being changed');
    expect(() => linkIn(notice)).toThrow(/no link/);
    expect(await me(user.accessToken)).toMatchObject({ email: user.email });

    const page = await context.newPage();
    await open(page, link);
    await page.getByRole('button', { name: 'Confirm the new address' }).click();
    await expect.poll(() => status(page), WAIT).toBe(`Done: your account now uses ${newEmail}.`);
    expect(await me(user.accessToken)).toMatchObject({ email: newEmail });
    expect((await login(newEmail, PASSWORD)).status).toBe(200);
    expect((await login(user.email, PASSWORD)).status).toBe(401);

    await open(page, link);
    await page.getByRole('button', { name: 'Confirm the new address' }).click();
    await alert(page, USED_LINK).waitFor(WAIT);
  });

  it('a link without its token says it is incomplete, and offers a new link instead of its button', async () => {
    const page = await context.newPage();
    for (const path of ['/verify-email', '/reset-password?token=', '/confirm-email']) {
      expect((await page.goto(`${server.url}${path}`))?.status()).toBe(200);
      await alert(page, INCOMPLETE_LINK).waitFor(WAIT);
      expect(await page.locator('#form').isHidden(), path).toBe(true);
      expect(await page.locator('#renew').isVisible(), path).toBe(true);
      expect(await accessibilityProblems(page)).toEqual([]);
    }
  });
});
