import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTesseraClient, type TesseraClientOptions } from '../../src/client/index.ts';
import { listen } from '../helpers/listen.ts';
import { createTestApp, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { browserFetch, fakeLocks } from './browser-fetch.ts';

const ACCESS_EXPIRED = 16 * 60 * 1000;

/**
 * Two "tabs" of one browser: two clients in cookie mode sharing one cookie jar, one lock manager
 * and (by default) a real BroadcastChannel named after the server. The page is on another host
 * than Tessera, so neither can read the csrf_token cookie.
 */
describe('client: tabs of one browser share one session', () => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: ReturnType<typeof browserFetch>;
  let locks: ReturnType<typeof fakeLocks>;
  const tabs: { close(): void }[] = [];

  beforeEach(async () => {
    // No grace for a racing refresh: a refresh token presented twice ends the session.
    t = await createTestApp({ JWT_REFRESH_REUSE_INTERVAL: '0' });
    server = await listen(t.app);
    browser = browserFetch();
    locks = fakeLocks();
    // A page: the client coordinates tabs only where a document exists (never between Node users).
    vi.stubGlobal('document', { cookie: '' });
  });
  afterEach(async () => {
    vi.unstubAllGlobals();
    for (const tab of tabs.splice(0)) tab.close();
    await server.close();
    await t.close();
  });

  function tab(options: Partial<TesseraClientOptions> = {}) {
    const client = createTesseraClient({
      baseUrl: server.url,
      transport: 'cookie',
      fetch: browser.fetch,
      readCsrfToken: () => undefined,
      locks,
      ...options,
    });
    tabs.push(client);
    return client;
  }

  async function signup() {
    const email = uniqueEmail();
    await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(201);
    return email;
  }

  /** Tab a logs in; tab b, already open, hears of it. */
  async function twoTabs(options: Partial<TesseraClientOptions> = {}) {
    const a = tab(options);
    const b = tab(options);
    await a.login(await signup(), PASSWORD);
    await vi.waitFor(() => expect(b.accessToken).toBe(a.accessToken));
    return { a, b };
  }

  it('two tabs whose tokens expire together refresh once per round and never present a token twice', async () => {
    const { a, b } = await twoTabs();
    for (let round = 1; round <= 5; round++) {
      t.clock.advance(ACCESS_EXPIRED);
      const results = await Promise.all([a.fetch('/api/protected'), b.fetch('/api/protected'), a.fetch('/api/protected')]);
      expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(browser.refreshes()).toHaveLength(round);
      expect(b.accessToken).toBe(a.accessToken);
    }
    expect(browser.refreshes().every((e) => e.status === 200)).toBe(true);
  });

  it('a logout in one tab ends the others: logged_out, and their next call fails cleanly', async () => {
    const endedB: (string | undefined)[] = [];
    const endedA: (string | undefined)[] = [];
    const a = tab({ onSessionEnded: (code) => endedA.push(code) });
    const b = tab({ onSessionEnded: (code) => endedB.push(code) });
    await a.login(await signup(), PASSWORD);
    await vi.waitFor(() => expect(b.accessToken).toBeDefined());

    await a.logout();
    await vi.waitFor(() => expect(endedB).toEqual(['logged_out']));
    expect(b.accessToken).toBeUndefined();
    const before = browser.exchanges.length;
    const res = await b.fetch('/api/protected');
    expect(res.status).toBe(401);
    expect(browser.exchanges.slice(before).map((e) => e.path)).toEqual(['/api/protected']); // no refresh tried
    expect(endedB).toEqual(['logged_out']);
    expect(endedA).toEqual([]); // the tab that logged out is not told
  });

  it('a refused refresh in one tab ends the session in the others', async () => {
    const endedB: (string | undefined)[] = [];
    const a = tab();
    const b = tab({ onSessionEnded: (code) => endedB.push(code) });
    await a.login(await signup(), PASSWORD);
    await vi.waitFor(() => expect(b.accessToken).toBeDefined());
    await request(t.app).post('/api/auth/logout-all').set('Authorization', `Bearer ${a.accessToken}`).expect(204);

    await expect(a.refresh()).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
    await vi.waitFor(() => expect(endedB).toEqual(['invalid_token']));
    expect(b.accessToken).toBeUndefined();
  });

  it('a tab opened later, with no CSRF token of its own, gets it from another tab', async () => {
    const a = tab();
    await a.login(await signup(), PASSWORD);
    const late = tab();
    expect((await late.fetch('/api/protected')).status).toBe(200);
    expect(browser.refreshes().map((e) => e.status)).toEqual([200]);
    await vi.waitFor(() => expect(a.accessToken).toBe(late.accessToken));
    expect((await a.fetch('/api/protected')).status).toBe(200);
  });

  it('without Web Locks and BroadcastChannel each tab still refreshes single-flight', async () => {
    const a = tab({ locks: null, channel: null });
    await a.login(await signup(), PASSWORD);
    t.clock.advance(ACCESS_EXPIRED);
    const results = await Promise.all(Array.from({ length: 5 }, () => a.fetch('/api/protected')));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill(200));
    expect(browser.refreshes()).toHaveLength(1);
  });

  it('with a channel but no locks the tabs still share one refresh', async () => {
    const { a, b } = await twoTabs({ locks: null });
    t.clock.advance(ACCESS_EXPIRED);
    // b starts once a has announced its refresh, as a tab a moment behind would.
    const first = a.fetch('/api/protected');
    await new Promise((resolve) => setTimeout(resolve, 0));
    const results = await Promise.all([first, b.fetch('/api/protected')]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(browser.refreshes().map((e) => e.status)).toEqual([200]);
  });
});
