import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { qrCodeSvg } from '../../src/mfa/qr-code.ts';
import { otpauthUrl } from '../../src/mfa/totp.ts';
import { TEST_DIALECT } from '../helpers/database.ts';
import { PASSWORD, uniqueEmail } from '../helpers/test-app.ts';
import { chromiumAvailable } from '../helpers/chromium.ts';
import { codeAt, STEP_MS, wrongCode } from '../mfa/mfa-helpers.ts';
import { openSpa, signUpThroughPage, startSpaSites, stateOf, type SpaSites, type SpaWindow } from './spa-harness.ts';

const SCREENSHOT = '/tmp/spa-mfa.png';
/** Past the mfaToken's 5 minutes. */
const EXPIRE_MFA_TOKEN_MS = 5 * 60_000 + 1_000;
/** Wrong codes per account before 429 rate_limited (low here, so the test reaches it quickly). */
const ACCOUNT_MAX = 3;

const available = chromiumAvailable('SPA MFA browser tests');

/** Clicks, then waits until the page's action has finished (it disables every button while it runs). */
async function act(page: Page, selector: string) {
  await page.click(selector);
  await page.waitForFunction(() => !document.querySelector('button:disabled'));
}

/** The QR code image has loaded (it would not, were the page's CSP to refuse it). */
const qrCodeShown = (page: Page) =>
  page.waitForFunction(
    () => {
      const img = document.querySelector<HTMLImageElement>('#mfa-qr');
      return img?.complete && img.naturalWidth > 0;
    },
    null,
    { timeout: 5_000 },
  );
const textOf = async (page: Page, selector: string) => (await page.textContent(selector))?.trim();
const focused = (page: Page) => page.evaluate(() => document.activeElement?.id);
const amrOf = (page: Page) =>
  page.evaluate(() => {
    const token = (window as unknown as SpaWindow).spa.tessera.accessToken ?? '';
    const payload = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    return (JSON.parse(atob(payload)) as { amr?: string[] }).amr;
  });

// The page and Tessera do not depend on the database: once, on the SQLite project, is enough.
describe.runIf(available && TEST_DIALECT === 'sqlite')('the SPA example in Chromium: two-factor authentication', () => {
  let sites: SpaSites;
  let context: BrowserContext;
  let errors: string[];
  const open = () => openSpa(() => context.newPage(), sites.origins.app, errors);

  /** Signs a new user up and turns MFA on through the page; returns the key it showed and the recovery codes. */
  async function enrol(page: Page, email: string) {
    await signUpThroughPage(page, email);
    await page.fill('#mfa-password', PASSWORD);
    await act(page, '#mfa-setup');
    await qrCodeShown(page);
    const secret = (await textOf(page, '#mfa-secret'))!.replace(/\s+/g, '');
    await page.fill('#mfa-code', codeAt(secret, sites.clock.now()));
    await act(page, '#mfa-confirm');
    const recoveryCodes = await page.locator('#mfa-recovery-codes li').allTextContents();
    await act(page, '#mfa-codes-done');
    return { secret, recoveryCodes };
  }

  /** Logs out, then logs in with the password, up to the code step. */
  async function passwordStep(page: Page, email: string) {
    await act(page, '#logout');
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await act(page, '#login');
    expect(await stateOf(page)).toBe('second-step');
  }

  beforeAll(async () => {
    sites = await startSpaSites({ RATE_LIMIT_ACCOUNT_MAX: String(ACCOUNT_MAX) });
  });
  afterAll(async () => {
    await sites?.close();
  });
  // A fresh cookie jar per test; no test may leave an uncaught error or a CSP violation in a page.
  beforeEach(async () => {
    context = await sites.browser.newContext({ viewport: { width: 1000, height: 900 } });
    context.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) errors.push(message.text());
    });
    errors = [];
  });
  afterEach(async () => {
    await context.close();
    expect(errors).toEqual([]);
  });

  it('enrols with the QR code and a code, logs in again in two steps; a wrong code shows the alert', async () => {
    // Keeps what the page turns into object URLs: the CSP (rightly) lets it fetch none back.
    await context.addInitScript(() => {
      const blobs = new Map<string, Blob>();
      const create = URL.createObjectURL.bind(URL);
      URL.createObjectURL = (blob: Blob) => {
        const url = create(blob);
        blobs.set(url, blob);
        return url;
      };
      Object.assign(window, { blobs });
    });
    const page = await open();
    const email = uniqueEmail('spa-mfa');
    await signUpThroughPage(page, email);
    expect(await textOf(page, '#mfa-status')).toBe('off');

    await page.fill('#mfa-password', PASSWORD);
    await act(page, '#mfa-setup');
    // The QR code is the server's SVG shown through an <img> (blob: URL), never inserted as markup.
    await qrCodeShown(page);
    expect(await page.getAttribute('#mfa-qr', 'src')).toMatch(/^blob:/);
    expect(await page.locator('svg').count()).toBe(0);
    expect(await focused(page)).toBe('mfa-code');
    const codeInput = page.getByLabel('6-digit code from the app');
    expect([await codeInput.getAttribute('inputmode'), await codeInput.getAttribute('autocomplete')]).toEqual(['numeric', 'one-time-code']);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    const secret = (await textOf(page, '#mfa-secret'))!.replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // The image is the QR code of this very key and account (the SVG Tessera makes for its otpauth:// URL).
    const shown = await page.evaluate(() => {
      const { blobs } = window as unknown as { blobs: Map<string, Blob> };
      return blobs.get(document.querySelector<HTMLImageElement>('#mfa-qr')!.src)?.text();
    });
    expect(shown).toBe(await qrCodeSvg(otpauthUrl(secret, sites.t.config.mfaIssuer, email)));
    await codeInput.fill(codeAt(secret, sites.clock.now()));
    await act(page, '#mfa-confirm');
    const recoveryCodes = await page.locator('#mfa-recovery-codes li').allTextContents();
    expect(recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    expect(await focused(page)).toBe('mfa-codes-note');
    expect(await textOf(page, '#mfa-status')).toBe('on');
    await act(page, '#mfa-codes-done');
    expect(await page.locator('#mfa-recovery-codes li').count()).toBe(0); // shown once
    expect(await page.isVisible('#mfa-disable')).toBe(true);

    await passwordStep(page, email);
    expect(await focused(page)).toBe('login-code');
    await page.fill('#login-code', wrongCode(secret, sites.clock.now()));
    await act(page, '#verify');
    expect(await textOf(page, '[role="alert"]')).toMatch(/^That code is wrong/);
    expect(await stateOf(page)).toBe('second-step');
    expect([await page.inputValue('#login-code'), await focused(page)]).toEqual(['', 'login-code']);

    // The confirm used this step's code: the app shows the next one 30 s later.
    sites.clock.advance(STEP_MS);
    await page.fill('#login-code', codeAt(secret, sites.clock.now()));
    await act(page, '#verify');
    expect(await stateOf(page)).toBe('signed-in');
    expect(await textOf(page, '#who')).toBe(email);
    expect(await textOf(page, '#mfa-status')).toBe('on');
    expect(await textOf(page, '#alert')).toBe('');
    expect(await page.textContent('#orders')).toMatch(/^200 OK/);
    expect(await amrOf(page)).toEqual(['pwd', 'otp']);
  });

  it('a recovery code finishes the login once; turning MFA off takes a code, and then the password is enough', async () => {
    const page = await open();
    const email = uniqueEmail('spa-mfa-recovery');
    const { secret, recoveryCodes } = await enrol(page, email);

    await passwordStep(page, email);
    await page.fill('#login-code', recoveryCodes[0]!);
    await act(page, '#verify');
    expect(await stateOf(page)).toBe('signed-in');
    expect(await amrOf(page)).toEqual(['pwd', 'otp']);

    await passwordStep(page, email);
    await page.fill('#login-code', recoveryCodes[0]!); // used
    await act(page, '#verify');
    expect(await textOf(page, '#alert')).toMatch(/^That code is wrong/);
    await page.fill('#login-code', recoveryCodes[1]!);
    await act(page, '#verify');
    expect(await stateOf(page)).toBe('signed-in');

    await page.fill('#mfa-disable-code', wrongCode(secret, sites.clock.now()));
    await act(page, '#mfa-turn-off');
    expect(await textOf(page, '#alert')).toMatch(/^That code is wrong/);
    expect(await focused(page)).toBe('mfa-disable-code');
    sites.clock.advance(STEP_MS);
    await page.fill('#mfa-disable-code', codeAt(secret, sites.clock.now()));
    await act(page, '#mfa-turn-off');
    expect(await textOf(page, '#mfa-status')).toBe('off');
    expect(await textOf(page, '#message')).toBe('Two-factor authentication is off.');
    expect(await page.isVisible('#mfa-setup')).toBe(true);

    await act(page, '#logout');
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await act(page, '#login');
    expect(await stateOf(page)).toBe('signed-in');
    expect(await amrOf(page)).toEqual(['pwd']);
  });

  it('an expired mfaToken sends the user back to the password step, with the reason in the alert', async () => {
    const page = await open();
    const email = uniqueEmail('spa-mfa-expired');
    const { secret } = await enrol(page, email);
    await passwordStep(page, email);
    sites.clock.advance(EXPIRE_MFA_TOKEN_MS);
    await page.fill('#login-code', codeAt(secret, sites.clock.now()));
    await act(page, '#verify');
    expect(await stateOf(page)).toBe('signed-out');
    expect(await textOf(page, '[role="alert"]')).toBe('This sign-in has expired. Log in again with your password.');
    expect(await focused(page)).toBe('password');
  });

  it('too many wrong codes: rate_limited is shown in the alert, and the code step stays', async () => {
    const page = await open();
    const email = uniqueEmail('spa-mfa-throttle');
    const { secret } = await enrol(page, email);
    await passwordStep(page, email);
    const alerts: string[] = [];
    for (let attempt = 0; attempt <= ACCOUNT_MAX; attempt++) {
      await page.fill('#login-code', wrongCode(secret, sites.clock.now()));
      await act(page, '#verify');
      alerts.push((await textOf(page, '#alert'))!.split('.')[0]!);
    }
    expect(alerts).toEqual([...Array<string>(ACCOUNT_MAX).fill('That code is wrong, expired or already used'), 'Too many wrong attempts']);
    expect(await stateOf(page)).toBe('second-step');
  });
});
