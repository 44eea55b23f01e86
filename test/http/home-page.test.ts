import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOME_CSP } from '../../src/http/home.routes.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

/** Issue 28 item 4: GET / in a browser is a small page pointing at the docs, not a JSON 404. */
describe('GET /', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('is an HTML page naming Tessera and its version, under a CSP that allows only its stylesheet', async () => {
    const res = await request(t.app).get('/').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expect(res.text).toMatch(/^<!doctype html>/);
    expect(res.text).toContain('<h1>Tessera</h1>');
    expect(res.text).toContain(`<title>Tessera ${VERSION}</title>`);
    expect(res.text).toContain(`Version ${VERSION}.`);
    expect(res.headers['content-security-policy']).toBe(HOME_CSP);
    expect(HOME_CSP).toContain("default-src 'none'");
    expect(HOME_CSP).toContain("frame-ancestors 'none'");
    expect(HOME_CSP).not.toMatch(/script-src|unsafe-|\*/);
    expect(res.text).not.toMatch(/<script|<style|\sstyle=|\son\w+=/i);
    // The security headers every answer carries.
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('links the API reference and the health endpoints, and every link and its stylesheet answer', async () => {
    const html = (await request(t.app).get('/')).text;
    const links = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
    expect(links).toEqual(expect.arrayContaining(['/docs', '/openapi.json', '/healthz', '/readyz', '/assets/account.css']));
    for (const link of links) {
      expect(link, link).toMatch(/^\/[^/]/); // this server only
      const res = await request(t.app).get(link);
      expect(res.status, link).toBe(200);
    }
    expect((await request(t.app).get('/assets/account.css')).headers['content-type']).toMatch(/^text\/css/);
  });

  it('is declared once: HEAD answers, another method is 405 with Allow, an unknown API path is still a JSON 404', async () => {
    const head = await request(t.app).head('/');
    expect(head.status).toBe(200);
    const post = await request(t.app).post('/');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const unknown = await request(t.app).get('/api/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    const document = (await request(t.app).get('/openapi.json')).body as { paths: Record<string, { get?: { operationId?: string } }> };
    expect(document.paths['/']?.get?.operationId).toBe('home');
  });
});
