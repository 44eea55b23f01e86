import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTesseraClient, TesseraError } from '../../src/client/index.ts';
import { listen } from '../helpers/listen.ts';
import { createTestApp, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import request from 'supertest';

/** The URL a fetch call was made with, whatever form it came in. */
const urlOf = (input: Parameters<typeof fetch>[0]): string => (input instanceof Request ? input.url : input.toString());

describe('client: single-flight refresh', () => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let calls: string[];
  const countingFetch: typeof fetch = (input, init) => {
    calls.push(new URL(urlOf(input)).pathname);
    return fetch(input, init);
  };

  beforeEach(async () => {
    t = await createTestApp();
    server = await listen(t.app);
    calls = [];
  });
  afterEach(async () => {
    await server.close();
    await t.close();
  });

  async function loggedInClient(onSessionEnded?: (code: string | undefined) => void) {
    const email = uniqueEmail();
    await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD });
    const client = createTesseraClient({ baseUrl: server.url, fetch: countingFetch, ...(onSessionEnded ? { onSessionEnded } : {}) });
    await client.login(email, PASSWORD);
    return client;
  }

  it('refreshes once for many concurrent requests with an expired access token', async () => {
    const client = await loggedInClient();
    const first = client.accessToken;
    t.clock.advance(16 * 60 * 1000);
    const results = await Promise.all(Array.from({ length: 10 }, () => client.fetch('/api/protected')));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(calls.filter((path) => path === '/api/auth/refresh')).toHaveLength(1);
    expect(client.accessToken).not.toBe(first);
  });

  it('does not refresh on a step-up (401 reauth_required): a refresh keeps auth_time, so only the user can answer it', async () => {
    const client = await loggedInClient();
    calls = [];
    const res = await client.fetch('/api/auth/mfa/totp/setup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('reauth_required');
    expect(calls).toEqual(['/api/auth/mfa/totp/setup']);
  });

  it('does not refresh on a wrong current password either: one typo is one strike on the throttle, not two', async () => {
    const client = await loggedInClient();
    calls = [];
    const res = await client.fetch('/api/auth/mfa/totp/setup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: 'a typo' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('invalid_credentials');
    expect(calls).toEqual(['/api/auth/mfa/totp/setup']);
  });

  it('reports the end of the session when the refresh is refused', async () => {
    let ended: string | undefined = 'not called';
    const client = await loggedInClient((code) => {
      ended = code;
    });
    await client.logout();
    const res = await client.fetch('/api/protected');
    expect(res.status).toBe(401);
    expect(ended).toBe('not called'); // no refresh token left after logout: nothing to refresh
    const again = await loggedInClient((code) => {
      ended = code;
    });
    // End every session from the server side: the next refresh is refused.
    await request(t.app).post('/api/auth/logout-all').set('Authorization', `Bearer ${again.accessToken}`);
    await expect(again.refresh()).rejects.toBeInstanceOf(TesseraError);
    expect(ended).toBe('invalid_token');
  });

  it('surfaces login failures with the contract code', async () => {
    const client = createTesseraClient({ baseUrl: server.url });
    const error = await client.login('nobody@example.com', 'wrong password').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraError);
    expect((error as TesseraError).code).toBe('invalid_credentials');
  });
});

describe('client: where the token goes', () => {
  it('sends the access token only to its own origin and apiOrigins', async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const fakeFetch: typeof fetch = async (input, init) => {
      seen.push({ url: urlOf(input), auth: new Headers(init?.headers).get('authorization') });
      const body = urlOf(input).endsWith('/api/auth/login')
        ? { accessToken: 'token-1', expiresIn: 900, refreshToken: 'r1', user: { id: 'u', email: 'e', roles: [] } }
        : {};
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const client = createTesseraClient({ baseUrl: 'https://auth.example', apiOrigins: ['https://api.example'], fetch: fakeFetch });
    await client.login('a@example.com', 'pw');
    await client.fetch('/api/protected');
    await client.fetch('https://api.example/orders');
    await client.fetch('https://elsewhere.example/collect');
    expect(seen.slice(1).map((s) => [new URL(s.url).origin, s.auth])).toEqual([
      ['https://auth.example', 'Bearer token-1'],
      ['https://api.example', 'Bearer token-1'],
      ['https://elsewhere.example', null],
    ]);
  });
});

describe('client: Node with the body transport is unchanged', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  /** Counts the BroadcastChannels clients open, and what becomes of them. */
  function spyChannels() {
    const opened: { name: string; unref: boolean; closed: boolean }[] = [];
    class SpyChannel {
      onmessage = null;
      readonly state;
      constructor(name: string) {
        this.state = { name, unref: false, closed: false };
        opened.push(this.state);
      }
      postMessage() {}
      unref() {
        this.state.unref = true;
      }
      close() {
        this.state.closed = true;
      }
    }
    vi.stubGlobal('BroadcastChannel', SpyChannel);
    return opened;
  }

  it('in Node no channel is opened, in any mode: clients of one process are separate users, not tabs', () => {
    const opened = spyChannels();
    createTesseraClient({ baseUrl: 'https://auth.example' }).close();
    createTesseraClient({ baseUrl: 'https://auth.example', transport: 'cookie' }).close();
    expect(opened).toEqual([]);
  });

  it('in a page, cookie mode opens one channel, unref()ed, that close() closes; body mode none', () => {
    const opened = spyChannels();
    vi.stubGlobal('document', { cookie: '' });
    createTesseraClient({ baseUrl: 'https://auth.example' }).close();
    expect(opened).toEqual([]);
    const client = createTesseraClient({ baseUrl: 'https://auth.example/', transport: 'cookie' });
    expect(opened).toEqual([{ name: 'tessera:https://auth.example', unref: true, closed: false }]);
    client.close();
    expect(opened[0]?.closed).toBe(true);
  });

  it('two body-mode clients of one server are independent sessions', async () => {
    const t = await createTestApp();
    const server = await listen(t.app);
    try {
      const login = async () => {
        const email = uniqueEmail();
        await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD });
        const client = createTesseraClient({ baseUrl: server.url });
        await client.login(email, PASSWORD);
        return client;
      };
      const [a, b] = [await login(), await login()];
      await a.logout();
      t.clock.advance(16 * 60 * 1000);
      expect((await b.fetch('/api/protected')).status).toBe(200);
      expect((await a.fetch('/api/protected')).status).toBe(401);
    } finally {
      await server.close();
      await t.close();
    }
  });
});
