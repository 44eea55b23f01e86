import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../helpers/problem-assertions.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const APP_ORIGIN = 'https://app.example.com';
const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'options'] as const;

/** What a 405 names: the declared methods, HEAD wherever GET is. */
const allowOf = (methods: string[]): string =>
  methods
    .flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()]))
    .sort()
    .join(', ');

/** The contract's 405: a path that exists, asked with a method it does not serve. */
describe('a method a path does not serve', () => {
  let t: TestApp;
  let paths: Record<string, Record<string, unknown>>;
  beforeAll(async () => {
    t = await createTestApp({ CORS_ORIGINS: APP_ORIGIN });
    paths = (await request(t.app).get('/openapi.json')).body.paths;
  });
  afterAll(() => t.close());

  it('is 405 problem+json method_not_allowed with an Allow header, at every declared path', async () => {
    expect(Object.keys(paths).length).toBeGreaterThan(15);
    for (const [path, ops] of Object.entries(paths)) {
      const url = path.replace(/\{\w+\}/g, 'some-id');
      const allow = allowOf(Object.keys(ops));
      for (const method of METHODS.filter((m) => !(m in ops))) {
        const res = await request(t.app)[method](url);
        expectProblem(res, 405, 'method_not_allowed');
        expect(res.headers.allow, `${method.toUpperCase()} ${path}`).toBe(allow);
        expect(res.body.title).toBe('Method Not Allowed');
        expect(res.body.type).toBe('https://tessera.dev/problems/method-not-allowed');
        expect(res.body.detail).toBe(`${method.toUpperCase()} is not served here; use ${allow}.`);
      }
    }
  });

  it('is 405 however the path is spelled (case, one trailing slash), and with parameters', async () => {
    for (const [method, url, allow] of [
      ['post', '/API/Public/', 'GET, HEAD'],
      ['put', '/Api/Auth/Login', 'POST'],
      ['get', '/api/admin/users/Some-Id/roles/', 'PUT'],
    ] as const) {
      const res = await request(t.app)[method](url);
      expectProblem(res, 405, 'method_not_allowed');
      expect(res.headers.allow).toBe(allow);
    }
  });

  it('is 405 before any body is read: a malformed, oversized or non-JSON body does not turn it into 400, 413 or 415', async () => {
    const bodies: [string, string][] = [
      ['application/json', '{"broken'],
      ['application/json', JSON.stringify({ pad: 'x'.repeat(40_000) })],
      ['text/plain', 'hello'],
    ];
    for (const [type, body] of bodies) {
      for (const [method, url] of [
        ['post', '/api/public'],
        ['put', '/api/auth/login'],
        ['post', '/api/auth/sessions/some-id'],
      ] as const) {
        const res = await request(t.app)[method](url).set('Content-Type', type).send(body);
        expectProblem(res, 405, 'method_not_allowed');
      }
    }
  });

  it('is 405 before the guards: the path and its methods are public (/openapi.json), so no credentials are asked for first', async () => {
    for (const [method, url] of [
      ['delete', '/api/protected'],
      ['post', '/api/admin/users'],
      ['delete', '/oauth/introspect'],
    ] as const) {
      const res = await request(t.app)[method](url);
      expectProblem(res, 405, 'method_not_allowed');
      expect(res.headers['www-authenticate']).toBeUndefined();
    }
  });

  it('HEAD is served wherever GET is, with the GET headers and no body; where GET is not, HEAD is 405', async () => {
    for (const path of ['/healthz', '/api/public', '/.well-known/jwks.json', '/openapi.json']) {
      const [get, head] = [await request(t.app).get(path), await request(t.app).head(path)];
      expect(head.status, path).toBe(200);
      expect(head.headers['content-type']).toBe(get.headers['content-type']);
      expect(head.text).toBeUndefined();
    }
    const head = await request(t.app).head('/api/auth/login');
    expect(head.status).toBe(405);
    expect(head.headers.allow).toBe('POST');
  });

  it('leaves CORS preflights to cors.ts: an allowed origin gets its 204 at any path, another origin no CORS headers', async () => {
    for (const url of ['/api/auth/login', '/api/auth/sessions/some-id', '/api/public']) {
      const preflight = await request(t.app)
        .options(url)
        .set('Origin', APP_ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'Content-Type');
      expect(preflight.status, url).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(preflight.headers['access-control-allow-methods']).toBe('GET, POST, PUT, DELETE');
      expect(preflight.headers.allow).toBeUndefined();
    }
    const stranger = await request(t.app)
      .options('/api/auth/login')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expectProblem(stranger, 405, 'method_not_allowed');
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    // The request itself after the preflight: served, with its CORS headers.
    const login = await request(t.app)
      .post('/api/auth/login')
      .set('Origin', APP_ORIGIN)
      .send({ email: 'x@example.com', password: 'wrong one' });
    expect(login.status).toBe(401);
    expect(login.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
  });

  it('an unknown path stays a JSON 404 not_found, whatever the method (and under /api/admin asks for an admin first)', async () => {
    for (const method of METHODS) {
      for (const url of ['/no/such/path', '/api/public/x', '/api/auth/sessions/some-id/more']) {
        const res = await request(t.app)[method](url);
        expectProblem(res, 404, 'not_found');
        expect(res.headers.allow).toBeUndefined();
      }
    }
    expectProblem(await request(t.app).delete('/api/admin/nothing-here'), 401, 'missing_token');
  });
});
