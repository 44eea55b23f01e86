import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTesseraClient, TesseraError, type TesseraClientOptions } from '../../src/client/index.ts';
import { listen } from '../helpers/listen.ts';
import { createTestApp, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { browserFetch } from './browser-fetch.ts';

const ACCESS_EXPIRED = 16 * 60 * 1000;

/** The page is on another host than Tessera: it never sees the csrf_token cookie. */
const unreadable = () => undefined;

describe('client: cookie transport', () => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  const clients: { close(): void }[] = [];

  async function start(env: Record<string, string> = {}) {
    t = await createTestApp(env);
    server = await listen(t.app);
  }
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await server?.close();
    await t?.close();
  });

  async function signup() {
    const email = uniqueEmail();
    await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(201);
    return email;
  }

  function cookieClient(options: Omit<TesseraClientOptions, 'baseUrl'>) {
    const client = createTesseraClient({ baseUrl: server.url, transport: 'cookie', readCsrfToken: unreadable, channel: null, ...options });
    clients.push(client);
    return client;
  }

  it('keeps the CSRF token of the login and refresh bodies in memory: no readable cookie needed', async () => {
    await start();
    const browser = browserFetch();
    const client = cookieClient({ fetch: browser.fetch });
    const tokens = await client.login(await signup(), PASSWORD);
    expect(tokens.csrfToken).toEqual(expect.any(String));

    t.clock.advance(ACCESS_EXPIRED);
    const results = await Promise.all(Array.from({ length: 5 }, () => client.fetch('/api/protected')));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill(200));
    expect(browser.refreshes()).toEqual([{ path: '/api/auth/refresh', status: 200 }]);

    t.clock.advance(ACCESS_EXPIRED);
    await client.refresh(); // the token of the refresh body works too
    await client.logout();
    expect(browser.exchanges.at(-1)).toEqual({ path: '/api/auth/logout', status: 204 });
    expect(browser.cookie('refresh_token')).toBeUndefined();
  });

  it('after a reload (nothing in memory) falls back to the readable csrf_token cookie', async () => {
    await start();
    const browser = browserFetch();
    await cookieClient({ fetch: browser.fetch }).login(await signup(), PASSWORD);
    const reloaded = cookieClient({ fetch: browser.fetch, readCsrfToken: () => browser.cookie('csrf_token') });
    expect(reloaded.accessToken).toBeUndefined();
    expect((await reloaded.fetch('/api/protected')).status).toBe(200);
    expect(browser.refreshes().map((e) => e.status)).toEqual([200]);
  });

  it('a login that leaves no CSRF token fails with cookie_mode_unavailable', async () => {
    await start({ REFRESH_TOKEN_TRANSPORT: 'body' });
    const client = cookieClient({ fetch: browserFetch().fetch });
    const error = await client.login(await signup(), PASSWORD).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({ status: 0, code: 'cookie_mode_unavailable' });
    expect((error as Error).message).toContain('REFRESH_TOKEN_TRANSPORT=body');
    expect(client.accessToken).toBeUndefined();
  });

  it('a browser that keeps no cookie for the site: cookies_refused, warned once', async () => {
    await start();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const ended: (string | undefined)[] = [];
      const client = cookieClient({ fetch: browserFetch({ refuse: true }).fetch, onSessionEnded: (code) => ended.push(code) });
      const email = await signup();
      for (let attempt = 0; attempt < 2; attempt++) {
        await client.login(email, PASSWORD);
        t.clock.advance(ACCESS_EXPIRED);
        await expect(client.fetch('/api/protected')).rejects.toMatchObject({ status: 401, code: 'cookies_refused' });
        // The session is known to be over: no further refresh is tried.
        expect((await client.fetch('/api/protected')).status).toBe(401);
      }
      expect(ended).toEqual(['cookies_refused', 'cookies_refused']);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toContain('Deploying with a single-page app');
    } finally {
      warn.mockRestore();
    }
  });

  it('a cookie lost later (expired, site data cleared) is an ordinary end, missing_token, not cookies_refused', async () => {
    await start();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const ended: (string | undefined)[] = [];
      const browser = browserFetch();
      const client = cookieClient({ fetch: browser.fetch, onSessionEnded: (code) => ended.push(code) });
      await client.login(await signup(), PASSWORD);
      t.clock.advance(ACCESS_EXPIRED);
      expect((await client.fetch('/api/protected')).status).toBe(200);
      browser.clear();
      t.clock.advance(ACCESS_EXPIRED);
      await expect(client.fetch('/api/protected')).rejects.toMatchObject({ status: 401, code: 'missing_token' });
      expect(ended).toEqual(['missing_token']);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('without a session (nothing known, no cookie) a refresh is missing_token, not cookies_refused', async () => {
    await start();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const ended: (string | undefined)[] = [];
      const client = cookieClient({ fetch: browserFetch().fetch, onSessionEnded: (code) => ended.push(code) });
      expect((await client.fetch('/api/protected')).status).toBe(401);
      expect(ended).toEqual(['missing_token']);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
