import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTesseraClient, TesseraError } from '../../src/client/index.ts';
import { retryDelayMs } from '../../src/client/retry.ts';
import { DATABASE_RETRY_AFTER_SECONDS } from '../../src/lib/database-unavailable.ts';
import { TEST_DIALECT } from '../helpers/database.ts';
import { listen, type Listening } from '../helpers/listen.ts';
import { privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.ts';
import { expectProblem } from '../helpers/problem-assertions.ts';
import { createTestApp, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { browserFetch } from './browser-fetch.ts';

/**
 * Issue 26, fault 5: a logout while the database is out of reach answers 503 (the session did
 * not end; 204 would leave the token valid on every other instance). The browser client sends it
 * again as Retry-After says, so the user's logout goes through once the database is back.
 */
describe.runIf(TEST_DIALECT === 'postgres' && privatePostgresAvailable())('client: logout during a database outage', () => {
  let cluster: PrivatePostgres;
  let t: TestApp | undefined;
  let server: Listening | undefined;
  beforeAll(async () => {
    cluster = await startPrivatePostgres();
  });
  afterEach(async () => {
    await cluster.start().catch(() => {}); // a failed test may leave it stopped
    await server?.close();
    await t?.close();
    server = t = undefined;
  });
  afterAll(() => cluster?.destroy());

  async function loggedIn(options: { logoutRetry?: { tries?: number; maxDelayMs?: number } } = {}) {
    t = await createTestApp({ DATABASE_URL: (await cluster.createDatabase()).url });
    server = await listen(t.app);
    const email = uniqueEmail();
    await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(201);
    const browser = browserFetch();
    const times: number[] = [];
    const timed: typeof fetch = (input, init) => {
      times.push(Date.now());
      return browser.fetch(input, init);
    };
    const client = createTesseraClient({ baseUrl: server.url, transport: 'cookie', channel: null, locks: null, fetch: timed, ...options });
    await client.login(email, PASSWORD);
    const accessToken = client.accessToken!;
    const logouts = () => browser.exchanges.flatMap((e, i) => (e.path === '/api/auth/logout' ? [{ ...e, at: times[i]! }] : []));
    return { app: t.app, client, browser, accessToken, logouts };
  }

  it('sends the logout again after Retry-After until the database is back; then the session and its token are over', async () => {
    const { app, client, browser, accessToken, logouts } = await loggedIn();
    await cluster.stop({ mode: 'immediate' });
    const done = client.logout();
    await vi.waitFor(() => expect(logouts()).toEqual([expect.objectContaining({ status: 503, code: 'unavailable' })]), {
      timeout: 5000,
      interval: 20,
    });
    // The answer kept the refresh cookie: the retry still has the session to end.
    expect(browser.cookie('refresh_token')).toEqual(expect.any(String));
    await cluster.start();
    await done;

    const [first, ...rest] = logouts();
    expect(rest.at(-1)).toMatchObject({ status: 204 });
    expect(rest[0]!.at - first!.at).toBeGreaterThanOrEqual(DATABASE_RETRY_AFTER_SECONDS * 1000 - 50);
    expect(browser.cookie('refresh_token')).toBeUndefined();
    expectProblem(await request(app).get('/api/protected').set('Authorization', `Bearer ${accessToken}`), 401, 'token_revoked');
  });

  it('gives up after its tries with TesseraError 503 unavailable: the session was not ended, and the app must say so', async () => {
    const { app, client, browser, accessToken, logouts } = await loggedIn({ logoutRetry: { tries: 3, maxDelayMs: 20 } });
    await cluster.stop({ mode: 'immediate' });
    const error = await client.logout().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({ status: 503, code: 'unavailable' });
    expect(logouts().map((e) => e.status)).toEqual([503, 503, 503]);
    expect(client.accessToken).toBeUndefined(); // this client forgot the session at once

    await cluster.start();
    await cluster.waitUntilReady();
    // ...but the server did not end it: the token still works, and a logout now ends it.
    expect((await request(app).get('/api/protected').set('Authorization', `Bearer ${accessToken}`)).status).toBe(200);
    expect(browser.cookie('refresh_token')).toEqual(expect.any(String));
  });
});

describe.runIf(TEST_DIALECT === 'sqlite')('client: the wait before a retry', () => {
  const answer = (retryAfter?: string) => new Response(null, { status: 503, headers: retryAfter ? { 'Retry-After': retryAfter } : {} });

  it('is Retry-After (seconds or a date), capped; 1 s when there is none the page can read', () => {
    expect(retryDelayMs(answer('2'), 5000)).toBe(2000);
    expect(retryDelayMs(answer('120'), 5000)).toBe(5000);
    const inThreeSeconds = new Date(Date.now() + 3000).toUTCString();
    expect(retryDelayMs(answer(inThreeSeconds), 5000)).toBeGreaterThan(1000);
    expect(retryDelayMs(answer(inThreeSeconds), 5000)).toBeLessThanOrEqual(3000);
    expect(retryDelayMs(answer(), 5000)).toBe(1000);
    expect(retryDelayMs(answer('soon'), 5000)).toBe(1000);
  });
});
