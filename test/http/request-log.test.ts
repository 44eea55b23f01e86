import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

type Line = Record<string, unknown> & { req?: { method: string; path: string }; res?: { status: number } };

/** The request lines the app logged (one per request: they carry `req` and `res`). */
const requestLines = (t: TestApp): Line[] =>
  t.logs.map((line) => JSON.parse(line) as Line).filter((line) => line.req !== undefined && line.res !== undefined);

describe('request log', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('one line per request: method, path, route, status, duration, request id, and the user when authenticated', async () => {
    const session = await signupAndLogin(t.app);
    const res = await request(t.app).get('/api/protected').set('Authorization', `Bearer ${session.accessToken}`);
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const line = requestLines(t).find((l) => l.requestId === id);
    expect(line).toMatchObject({
      req: { method: 'GET', path: '/api/protected' },
      route: '/api/protected',
      res: { status: 200 },
      userId: session.userId,
      msg: expect.stringMatching(/^GET \/api\/protected 200 \d+ms$/),
    });
    expect(typeof line?.responseTime).toBe('number');
    expect(line?.aborted).toBeUndefined();
    // Signup, login and the protected call: three requests, three lines.
    expect(requestLines(t)).toHaveLength(3);
  });

  it('routes with parameters log their template; failures are logged too', async () => {
    const res = await request(t.app)
      .put('/api/admin/users/some-id/roles')
      .send({ roles: ['user'] });
    expect(res.status).toBe(401);
    const line = requestLines(t).at(-1);
    expect(line).toMatchObject({ route: '/api/admin/users/:id/roles', res: { status: 401 } });
    expect(line?.userId).toBeUndefined();
    await request(t.app).get('/no/such/thing');
    expect(requestLines(t).at(-1)).toMatchObject({ req: { path: '/no/such/thing' }, res: { status: 404 } });
  });

  it('honours a sane X-Request-Id from a proxy and returns it; replaces one that could forge log lines', async () => {
    const kept = await request(t.app).get('/healthz').set('X-Request-Id', 'edge-7f3a.42');
    expect(kept.headers['x-request-id']).toBe('edge-7f3a.42');
    expect(requestLines(t).at(-1)?.requestId).toBe('edge-7f3a.42');

    for (const hostile of ['a'.repeat(200), 'x Injected: 1', '{"level":60}']) {
      const replaced = await request(t.app).get('/healthz').set('X-Request-Id', hostile);
      expect(replaced.headers['x-request-id']).not.toBe(hostile);
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('never logs a header, a body or a query string: no token, cookie, password or link', async () => {
    const session = await signupAndLogin(t.app);
    await request(t.app)
      .post('/api/auth/refresh?token=link-secret-123')
      .set('Cookie', `refresh_token=${session.refreshToken}; csrf_token=csrf-secret-456`)
      .set('Authorization', `Bearer ${session.accessToken}`)
      .send({ refreshToken: session.refreshToken });
    const text = t.logs.join('\n');
    for (const secret of [session.accessToken, session.refreshToken, 'csrf-secret-456', 'link-secret-123', session.password]) {
      expect(text).not.toContain(secret);
    }
    expect(requestLines(t).at(-1)).toMatchObject({ req: { path: '/api/auth/refresh' }, res: { status: 200 } });
  });

  it('a client that hangs up before the answer is logged once, as aborted', async () => {
    const server = t.app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      // Half the body it announces, then gone: the server is still reading when the client leaves.
      const client = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/auth/login',
        headers: { 'content-type': 'application/json', 'content-length': '100' },
      });
      client.on('error', () => undefined);
      client.write('{"email":"someone@example.com",');
      await new Promise((resolve) => setTimeout(resolve, 100));
      client.destroy();
      const lines = () => requestLines(t).filter((line) => line.req?.path === '/api/auth/login');
      for (let waited = 0; lines().length === 0 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      // Whatever the server does next with the dead request, no second line for it.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(lines()).toHaveLength(1);
      expect(lines()[0]).toMatchObject({ aborted: true, route: '/api/auth/login' });
    } finally {
      server.close();
    }
  });
});
