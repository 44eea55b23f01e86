import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../helpers/database.ts';
import { PASSWORD, uniqueEmail } from '../helpers/test-app.ts';
import { openSpa, signUpThroughPage, startSpaSites, stateOf, type SpaSites, type SpaWindow } from './spa-harness.ts';
import { chromiumAvailable } from '../helpers/chromium.ts';

const SCREENSHOT = '/tmp/spa.png';
/** Past JWT_EXPIRES_IN (15 min): every access token issued before is expired, refresh tokens are not. */
const EXPIRE_ACCESS_TOKENS_MS = 16 * 60_000;

const available = chromiumAvailable('SPA browser tests');

// In the page: the example's client (window.spa), as the page itself uses it. A call answers its
// status, or the code of the error it threw.
const callApi = (page: Page) =>
  page.evaluate(async () => {
    const { tessera, config } = (window as unknown as SpaWindow).spa;
    return tessera.fetch(`${config.apiUrl}/orders`).then(
      (res) => res.status,
      (error: { code?: string }) => error.code,
    );
  });
const refreshIn = (page: Page) => page.evaluate(() => (window as unknown as SpaWindow).spa.tessera.refresh());
const endedIn = (page: Page) => page.evaluate(() => [...(window as unknown as SpaWindow).spa.ended]);

// The page and Tessera do not depend on the database: once, on the SQLite project, is enough.
describe.runIf(available && TEST_DIALECT === 'sqlite')('the SPA example in Chromium: page and API on sibling hosts of one site', () => {
  let sites: SpaSites;
  let context: BrowserContext;
  let errors: string[];
  const open = (origin = sites.origins.app) => openSpa(() => context.newPage(), origin, errors);

  beforeAll(async () => {
    // Strict rotation: a second tab presenting a rotated refresh token ends the session.
    sites = await startSpaSites({ JWT_REFRESH_REUSE_INTERVAL: '0' });
  });
  afterAll(async () => {
    await sites?.close();
  });
  // A fresh cookie jar per test; no test may leave an uncaught error in a page.
  beforeEach(async () => {
    context = await sites.browser.newContext({ viewport: { width: 1000, height: 800 } });
    errors = [];
  });
  afterEach(async () => {
    await context.close();
    expect(errors).toEqual([]);
  });

  it('logs in on app.example.test against auth.example.test, calls the resource server, lists the session and refreshes by cookie', async () => {
    const page = await open();
    await signUpThroughPage(page, uniqueEmail('spa'));
    expect(await page.textContent('#orders')).toMatch(/^200 OK/);
    expect(await page.locator('#sessions tr.current').count()).toBe(1);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // The first failure: a cookie-borne refresh from the sibling host got 403 csrf_failed.
    const before = sites.hits.length;
    await refreshIn(page);
    expect(sites.refreshes(before).map((h) => [h.status, h.refreshCookie])).toEqual([[200, true]]);
    sites.clock.advance(EXPIRE_ACCESS_TOKENS_MS);
    expect(await callApi(page)).toBe(200);
    expect(await endedIn(page)).toEqual([]);
    // The cookies belong to the whole site, so the page's host sees the CSRF cookie too.
    const cookies = (await context.cookies()).filter((c) => c.name !== 'device');
    expect(cookies.map((c) => [c.name, c.domain, c.path]).sort()).toEqual([
      ['csrf_token', '.example.test', '/'],
      ['refresh_token', '.example.test', '/api/auth'],
    ]);
  });

  it('a reload keeps the session: the page refreshes by cookie, and refreshes after it work', async () => {
    const page = await open();
    const email = uniqueEmail('spa-reload');
    await signUpThroughPage(page, email);
    const before = sites.hits.length;
    await page.reload();
    await page.waitForSelector('body[data-state="signed-in"] #sessions tr', { timeout: 10_000 });
    expect(await page.textContent('#who')).toBe(email);
    await refreshIn(page);
    sites.clock.advance(EXPIRE_ACCESS_TOKENS_MS);
    expect(await callApi(page)).toBe(200);
    expect(sites.refreshes(before).map((h) => h.status)).toEqual([200, 200, 200]);
  });

  it('10 concurrent calls with an expired access token make exactly one refresh', async () => {
    const page = await open();
    await signUpThroughPage(page, uniqueEmail('spa-burst'));
    const requested: string[] = [];
    page.on('request', (r) => requested.push(`${r.method()} ${new URL(r.url()).pathname}`));
    sites.clock.advance(EXPIRE_ACCESS_TOKENS_MS);
    const before = sites.hits.length;
    const statuses = await page.evaluate(async () => {
      const { tessera, config } = (window as unknown as SpaWindow).spa;
      const calls = Array.from({ length: 10 }, () => tessera.fetch(`${config.apiUrl}/orders`));
      return (await Promise.all(calls)).map((res) => res.status);
    });
    expect(statuses).toEqual(Array(10).fill(200));
    expect(sites.refreshes(before).map((h) => h.status)).toEqual([200]);
    expect(requested.filter((r) => r === 'POST /api/auth/refresh')).toHaveLength(1);
  });

  it('two tabs refreshing together for 5 rounds (no reuse interval): no refresh_reused, both stay signed in', async () => {
    const a = await open();
    await signUpThroughPage(a, uniqueEmail('spa-tabs'));
    const b = await open(); // the second tab joins the session by cookie
    // The tabs take turns through Web Locks, which exist in secure contexts only (see the harness).
    expect(await b.evaluate(() => 'locks' in navigator)).toBe(true);
    expect(await stateOf(b)).toBe('signed-in');
    const before = sites.hits.length;
    for (let round = 0; round < 5; round++) {
      sites.clock.advance(EXPIRE_ACCESS_TOKENS_MS);
      // Both tabs call at the same instant (this machine's clock), each with an expired access token.
      const at = Date.now() + 300;
      const together = (page: Page) =>
        page.evaluate(async (at) => {
          await new Promise((resolve) => setTimeout(resolve, at - Date.now()));
          const { tessera, config } = (window as unknown as SpaWindow).spa;
          return (await tessera.fetch(`${config.apiUrl}/orders`)).status;
        }, at);
      expect(await Promise.all([together(a), together(b)]), `round ${round + 1}`).toEqual([200, 200]);
    }
    const refreshes = sites.refreshes(before);
    expect(refreshes.filter((h) => h.status !== 200)).toEqual([]);
    expect(refreshes.length).toBe(5); // one per round: the tab that waited took the other's result
    expect([await endedIn(a), await endedIn(b)]).toEqual([[], []]);
    expect([await stateOf(a), await stateOf(b)]).toEqual(['signed-in', 'signed-in']);
    const sessions = await b.evaluate(async () => {
      const res = await (window as unknown as SpaWindow).spa.tessera.fetch('/api/auth/sessions');
      return ((await res.json()) as { sessions: unknown[] }).sessions.length;
    });
    expect(sessions).toBe(1);
  });

  it('logging out in one tab ends the session in the other: onSessionEnded("logged_out") and the login form', async () => {
    const a = await open();
    await signUpThroughPage(a, uniqueEmail('spa-logout'));
    const b = await open();
    expect(await stateOf(b)).toBe('signed-in');
    await a.click('#logout');
    await a.waitForSelector('body[data-state="signed-out"]');
    await b.waitForFunction(() => (window as unknown as SpaWindow).spa.ended.includes('logged_out'), null, { timeout: 5_000 });
    expect(await stateOf(b)).toBe('signed-out');
    expect(await b.textContent('#message')).toBe('You logged out in another tab.');
    expect(await b.evaluate(() => (window as unknown as SpaWindow).spa.tessera.accessToken)).toBeUndefined();
    expect(await endedIn(a)).toEqual([]);
  });

  it("a page of a foreign site cannot refresh with the victim's cookie: no session, no rotation", async () => {
    const victim = await open();
    await signUpThroughPage(victim, uniqueEmail('spa-victim'));
    const evil = await context.newPage();
    await evil.goto(`${sites.origins.evil}/blank`);
    const before = sites.hits.length;
    const refreshUrl = `${sites.config.authUrl}/api/auth/refresh`;
    const outcomes = await evil.evaluate(async (url) => {
      const attempt = (init: RequestInit) =>
        fetch(url, { method: 'POST', credentials: 'include', ...init }).then(
          (res) => `${res.type} ${res.status}`,
          () => 'blocked',
        );
      return [
        // Needs a preflight, which Tessera does not grant to this origin: never sent.
        await attempt({ headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'guess' }, body: '{}' }),
        // Simple requests are sent (SameSite keeps the cookie at home); Cross-Origin-Resource-Policy
        // (same-site) then withholds even the opaque answer.
        await attempt({ mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: '{}' }),
        await attempt({ mode: 'no-cors' }),
      ];
    }, refreshUrl);
    expect(outcomes).toEqual(['blocked', 'blocked', 'blocked']);
    // A cross-site form post, as a page can make without any script help from the victim.
    await evil.evaluate((url) => {
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = url;
      form.enctype = 'text/plain';
      document.body.append(form);
      form.submit();
    }, refreshUrl);
    await evil.waitForURL(refreshUrl);

    const foreign = sites.refreshes(before);
    expect(foreign.length).toBe(3);
    for (const hit of foreign) {
      expect(hit.origin).toBe(sites.origins.evil);
      expect(hit.refreshCookie).toBe(false);
      expect([401, 403, 415]).toContain(hit.status);
    }
    // The victim's refresh token was not rotated: presenting it now is no reuse.
    await refreshIn(victim);
    expect(sites.refreshes(before).at(-1)?.status).toBe(200);
    expect(await endedIn(victim)).toEqual([]);
  });

  it('a page on another site than Tessera hears that its cookies were refused, instead of a silent logout', async () => {
    const page = await open(sites.origins.crossSiteApp);
    await page.fill('#email', uniqueEmail('spa-cross-site'));
    await page.fill('#password', PASSWORD);
    await page.click('#signup');
    // Logged in (the access token is in the body), or already told that the cookies were refused.
    await page.waitForSelector('body[data-state="signed-in"] #sessions tr, #message:not(:empty)');
    // The cookies came back on a cross-site response: the browser kept none of them.
    expect(await context.cookies()).toEqual([]);
    sites.clock.advance(EXPIRE_ACCESS_TOKENS_MS);
    const before = sites.hits.length;
    expect(await callApi(page)).toBe('cookies_refused');
    // Before: the refresh got 401 missing_token and the page was logged out with no reason it could give.
    expect(sites.refreshes(before).map((h) => [h.status, h.refreshCookie])).toEqual([[401, false]]);
    expect(await endedIn(page)).toContain('cookies_refused');
    expect(await stateOf(page)).toBe('signed-out');
    expect(await page.textContent('#message')).toMatch(/refused the session cookies/);
  });
});
