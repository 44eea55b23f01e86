import { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { httpServerPerTest } from '../helpers/http-server.ts';
import { PASSWORD, uniqueEmail } from '../helpers/test-app.ts';

/**
 * The production server builds requests and responses with the app's prototypes, so Express's
 * per-request Object.setPrototypeOf changes nothing (src/http-server.ts says why that matters).
 */
describe('createHttpServer: requests and responses start with the app prototypes', () => {
  const servers = httpServerPerTest();

  /** What Node built for each request, seen before the app (a prepended listener) has touched it. */
  const start = async () => {
    const seen: { req: unknown; res: unknown; nodeRequest: boolean; nodeResponse: boolean }[] = [];
    const { t, url } = await servers.start({}, (server) =>
      server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
        seen.push({
          req: Object.getPrototypeOf(req),
          res: Object.getPrototypeOf(res),
          nodeRequest: req instanceof IncomingMessage,
          nodeResponse: res instanceof ServerResponse,
        });
      }),
    );
    return { app: t.app, url, seen };
  };

  it('builds each request and response with app.request and app.response, still node:http instances', async () => {
    const { app, url, seen } = await start();
    for (const path of ['/api/public', '/api/public', '/no-such-route']) await (await fetch(`${url}${path}`)).text();
    expect(seen).toHaveLength(3);
    for (const entry of seen) {
      expect(entry.req).toBe(app.request);
      expect(entry.res).toBe(app.response);
      expect(entry.nodeRequest).toBe(true);
      expect(entry.nodeResponse).toBe(true);
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
