import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { HELMET_OPTIONS, securityHeaders } from '../../src/http/security-headers.ts';

const appWith = (middleware: express.RequestHandler) => {
  const app = express();
  app.disable('x-powered-by');
  app.use(middleware);
  app.get('/x', (_req, res) => {
    res.json({ ok: true });
  });
  return app;
};

/** Everything but the headers that differ between any two responses. */
const comparable = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'date'));

describe('securityHeaders', () => {
  it('sets exactly the headers helmet sets with the same options, in the same order', async () => {
    const byHelmet = await request(appWith(helmet(HELMET_OPTIONS))).get('/x');
    const once = await request(appWith(securityHeaders())).get('/x');
    expect(comparable(once.headers)).toEqual(comparable(byHelmet.headers));
    expect(Object.keys(comparable(once.headers))).toEqual(Object.keys(comparable(byHelmet.headers)));
    expect(once.headers['content-security-policy']).toContain("default-src 'none'");
    expect(once.headers['cross-origin-resource-policy']).toBe('same-site');
  });

  it('refuses options whose headers helmet would work out per request', () => {
    const nonce = (_req: unknown, res: unknown) => `'nonce-${String((res as { locals?: { n?: string } }).locals?.n)}'`;
    // A function directive reads the request: it cannot be worked out once (helmet calls it with our probe).
    expect(() => securityHeaders({ contentSecurityPolicy: { directives: { scriptSrc: [nonce] } } })).toThrow();
  });
});
