import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http-server.ts';
import { createTestApp, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

/**
 * The production server builds requests and responses with the app's prototypes, so Express's
 * per-request Object.setPrototypeOf changes nothing (src/http-server.ts says why that matters).
 */
describe('createHttpServer: requests and responses start with the app prototypes', () => {
  let t: TestApp | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await t?.close();
    t = undefined;
    server = undefined;
  });

  const start = async () => {
    t = await createTestApp();
    server = createHttpServer(t.app, t.config.httpTimeouts);
    // Runs before the app (prepended): what Node built, before Express has touched it.
    const seen: { req: object | null; res: object | null; isNodeRequest: boolean; isNodeResponse: boolean }[] = [];
    const { IncomingMessage: NodeRequest, ServerResponse: NodeResponse } = await import('node:http');
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      seen.push({
        req: Object.getPrototypeOf(req) as object | null,
        res: Object.getPrototypeOf(res) as object | null,
        isNodeRequest: req instanceof NodeRequest,
        isNodeResponse: res instanceof NodeResponse,
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  };

  it('builds each request and response with app.request and app.response, still node:http instances', async () => {
    const { url, seen } = await start();
    for (const path of ['/api/public', '/api/public', '/no-such-route']) await (await fetch(`${url}${path}`)).text();
    expect(seen).toHaveLength(3);
    for (const entry of seen) {
      expect(entry.req).toBe(t!.app.request);
      expect(entry.res).toBe(t!.app.response);
      expect(entry.isNodeRequest).toBe(true);
      expect(entry.isNodeResponse).toBe(true);
    }
  });

  it('serves the app as before: a JSON body, the security headers, a problem for an unknown route, a JSON POST', async () => {
    const { url } = await start();
    const open = await fetch(`${url}/api/public`);
    expect(open.status).toBe(200);
    expect(open.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(open.headers.get('x-content-type-options')).toBe('nosniff');
    expect(open.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await open.json()).toEqual({ message: 'Anyone may read this.' });

    const missing = await fetch(`${url}/no-such-route`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    const email = uniqueEmail();
    const signup = await fetch(`${url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(signup.status).toBe(201);
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const me = await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { email: string } }).user.email).toBe(email);
  });
});
