import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { expressjwt } from 'express-jwt';
import { auth as oauth2Bearer } from 'express-oauth2-jwt-bearer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { problemHandler, requireAuth } from '../../src/express/index.ts';
import { listen, type Listening } from '../helpers/listen.ts';

/** A service with body parsers, two other auth libraries and routes that throw, behind problemHandler. */
function service(handler: ErrorRequestHandler = problemHandler()) {
  const app = express();
  app.post('/json', express.json({ limit: '100b' }), (req, res) => {
    res.json({ got: req.body as unknown });
  });
  app.get('/express-jwt', expressjwt({ secret: 's'.repeat(32), algorithms: ['HS256'] }), (_req, res) => {
    res.json({});
  });
  const bearer: RequestHandler = oauth2Bearer({ issuer: 'https://as.example', audience: 'api', jwksUri: 'http://127.0.0.1:9/jwks' });
  app.get('/oauth2-bearer', bearer, (_req, res) => {
    res.json({});
  });
  app.get('/tessera', requireAuth({ secret: 't'.repeat(32), issuer: 'tessera', audience: 'api' }), (_req, res) => {
    res.json({});
  });
  app.get('/teapot', () => {
    throw Object.assign(new Error('the kettle at 10.0.0.7 is hot'), { status: 418, expose: false });
  });
  app.get('/exposed', () => {
    throw Object.assign(new Error('That order is already shipped.'), { statusCode: 409, expose: true });
  });
  app.get('/bug', () => {
    throw new TypeError("Cannot read properties of undefined (reading 'id') at /srv/app/orders.js:12");
  });
  app.get('/upstream', () => {
    throw Object.assign(new Error('upstream said no'), { status: 502 });
  });
  app.use(handler);
  return app;
}

let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.restoreAllMocks();
});

async function call(app: express.Express, path: string, init: RequestInit = {}) {
  server = await listen(app);
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  await server.close();
  server = undefined;
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as Record<string, unknown> };
}

const postJson = (body: string, contentType = 'application/json') => ({ method: 'POST', headers: { 'content-type': contentType }, body });

describe("problemHandler leaves another middleware's HTTP error as it is", () => {
  it('express.json(): malformed JSON is 400 malformed_json, too large 413 payload_too_large, a charset it cannot read 415', async () => {
    const malformed = await call(service(), '/json', postJson('{"orderId": 12, oops}'));
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(malformed.body).toMatchObject({ status: 400, code: 'malformed_json', title: 'Bad Request' });
    expect(malformed.text).not.toContain('oops'); // the body is not echoed

    const large = await call(service(), '/json', postJson(JSON.stringify({ note: 'x'.repeat(200) })));
    expect(large.status).toBe(413);
    expect(large.body).toMatchObject({ status: 413, code: 'payload_too_large' });

    const charset = await call(service(), '/json', postJson('{}', 'application/json; charset=koi8-r'));
    expect(charset.status).toBe(415);
    expect(charset.body).toMatchObject({ status: 415, code: 'unsupported_media_type' });

    const ok = await call(service(), '/json', postJson('{"a":1}'));
    expect(ok.body).toEqual({ got: { a: 1 } });
  });

  it("another auth library's 401 stays a 401, with its WWW-Authenticate header", async () => {
    const jwt = await call(service(), '/express-jwt');
    expect(jwt.status).toBe(401);
    expect(jwt.body).toMatchObject({ status: 401, code: 'unauthorized', title: 'Unauthorized' });

    const bearer = await call(service(), '/oauth2-bearer');
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get('www-authenticate')).toMatch(/^Bearer realm="api"/); // its own challenge, not ours
    expect(bearer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(bearer.body.code).toBe('unauthorized');
  });

  it('a message is shown only when the error says it may be (expose true)', async () => {
    const hidden = await call(service(), '/teapot');
    expect(hidden.status).toBe(418);
    expect(hidden.body).toMatchObject({ status: 418, code: 'im_a_teapot' });
    expect(hidden.text).not.toContain('10.0.0.7');

    const exposed = await call(service(), '/exposed');
    expect(exposed.status).toBe(409);
    expect(exposed.body).toMatchObject({ code: 'conflict', detail: 'That order is already shipped.' });
  });

  it("Tessera's own errors are rendered as before", async () => {
    const res = await call(service(), '/tessera');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('missing_token');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="tessera"');
  });
});

describe('problemHandler answers an unknown error with a bare 500, and logs it', () => {
  it('logs one console line with the error by default; the answer carries no message or stack', async () => {
    const console = vi.spyOn(globalThis.console, 'error').mockImplementation(() => {});
    const res = await call(service(), '/bug');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ status: 500, code: 'internal_error' });
    expect(res.text).not.toMatch(/undefined|orders\.js|TypeError/);
    expect(console).toHaveBeenCalledTimes(1);
    const line = String(console.mock.calls[0]![0]);
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain('GET /bug');
    expect(line).toContain("TypeError: Cannot read properties of undefined (reading 'id')");
  });

  it('through the logger given (pino-style), with the error itself; a 5xx status from elsewhere is unknown too', async () => {
    const logged: { obj: Record<string, unknown>; msg: string }[] = [];
    const logger = { error: (obj: object, msg: string) => logged.push({ obj: obj as Record<string, unknown>, msg }) };
    const app = service(problemHandler({ logger }));
    expect((await call(app, '/bug')).status).toBe(500);
    const upstream = await call(app, '/upstream');
    expect(upstream.status).toBe(500);
    expect(upstream.text).not.toContain('upstream said no');
    expect(logged).toHaveLength(2);
    expect(logged[0]!.obj.err).toBeInstanceOf(TypeError);
    expect(logged[0]!.obj).toMatchObject({ method: 'GET', path: '/bug' });
    expect((await call(app, '/json', postJson('{'))).status).toBe(400);
    expect(logged).toHaveLength(2); // a client's mistake is not logged
  });
});
