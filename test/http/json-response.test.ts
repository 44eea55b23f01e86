import express, { type Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useLeanJson } from '../../src/http/json-response.ts';

/** Each case: a handler, and how it is requested. */
const CASES: { name: string; send(res: express.Response): void; method?: 'get' | 'head' | 'post'; headers?: Record<string, string> }[] = [
  { name: 'an object', send: (res) => void res.json({ message: 'Anyone may read this.' }) },
  { name: 'a status and an object', send: (res) => void res.status(201).json({ id: 'x', roles: ['user'] }) },
  { name: 'an array', send: (res) => void res.json([1, 'two', { three: 3 }]) },
  { name: 'a string', send: (res) => void res.json('plain') },
  { name: 'a number', send: (res) => void res.json(42) },
  { name: 'false', send: (res) => void res.json(false) },
  { name: 'null', send: (res) => void res.json(null) },
  { name: 'undefined', send: (res) => void res.json(undefined) },
  { name: 'no argument', send: (res) => void (res.json as () => void)() },
  { name: 'a function (not JSON)', send: (res) => void res.json(() => 1) },
  { name: 'non-ASCII text', send: (res) => void res.json({ name: 'Zoë 名前 🔑', sep: '\u2028' }) },
  { name: 'over 1,000 bytes', send: (res) => void res.json({ text: 'é'.repeat(900) }) },
  { name: 'HTML-like text', send: (res) => void res.json({ html: '<script>&</script>' }) },
  { name: 'a Content-Type set first', send: (res) => void res.type('application/problem+json').status(400).json({ code: 'x' }) },
  { name: 'a Content-Type with a charset', send: (res) => void res.set('Content-Type', 'application/json; charset=utf-8').json({ a: 1 }) },
  { name: 'a 204', send: (res) => void res.status(204).json({ gone: true }) },
  { name: 'a 205', send: (res) => void res.status(205).json({ reset: true }) },
  { name: 'a 304', send: (res) => void res.status(304).json({ same: true }) },
  { name: 'other headers kept', send: (res) => void res.set('Cache-Control', 'no-store').set('X-Extra', '1').json({ a: 1 }) },
  { name: 'HEAD', send: (res) => void res.json({ a: 1 }), method: 'head' },
  { name: 'a POST', send: (res) => void res.json({ a: 1 }), method: 'post' },
  { name: 'If-None-Match: *', send: (res) => void res.json({ a: 1 }), headers: { 'If-None-Match': '*' } },
  { name: 'If-None-Match with a tag', send: (res) => void res.json({ a: 1 }), headers: { 'If-None-Match': '"abc"' } },
  { name: 'If-Modified-Since', send: (res) => void res.json({ a: 1 }), headers: { 'If-Modified-Since': new Date(0).toUTCString() } },
  { name: 'a Transfer-Encoding set first', send: (res) => void res.set('Transfer-Encoding', 'chunked').json({ a: 1 }) },
];

/** As createApp configures Express: no ETag, no X-Powered-By. */
function appWith(lean: boolean): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (lean) useLeanJson(app);
  CASES.forEach((c, i) => app[c.method ?? 'get'](`/${i}`, (_req, res) => c.send(res)));
  return app;
}

async function answer(app: Express, index: number) {
  const c = CASES[index]!;
  const agent = request(app);
  const res = await agent[c.method ?? 'get'](`/${index}`)
    .set(c.headers ?? {})
    .buffer(true)
    .parse((response, done) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => done(null, text));
    });
  // Date is the one header that may differ between two answers.
  const headers = Object.fromEntries(Object.entries(res.headers as Record<string, string>).filter(([name]) => name !== 'date'));
  return { status: res.status, headers, body: res.body as string };
}

describe('useLeanJson', () => {
  const lean = appWith(true);
  const stock = appWith(false);

  for (const [index, c] of CASES.entries()) {
    it(`answers as Express's res.json does: ${c.name}`, async () => {
      expect(await answer(lean, index)).toEqual(await answer(stock, index));
    });
  }

  it("takes the short way for the common case (Express's send() is not called), and leaves other apps alone", async () => {
    const app = appWith(true);
    let sends = 0;
    const send = app.response.send;
    app.response.send = function counted(this: express.Response, body?: unknown) {
      sends += 1;
      return send.call(this, body);
    };
    await answer(app, 0);
    expect(sends).toBe(0);
    await answer(
      app,
      CASES.findIndex((c) => c.name === 'a 204'),
    );
    expect(sends).toBe(1);
    expect(stock.response.json).toBe(express.response.json);
  });

  it('refuses an app whose JSON settings it would ignore', () => {
    for (const [setting, value] of [
      ['json spaces', 2],
      ['json replacer', () => undefined],
      ['json escape', true],
    ] as const) {
      const app = express();
      app.set(setting, value);
      expect(() => useLeanJson(app)).toThrow(setting);
    }
  });
});
