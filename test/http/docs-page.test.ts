import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { DOCS_CSP } from '../../src/http/docs.routes.ts';
import { docsApp } from '../browser/docs-app.ts';

const CONTENT_TYPES: Record<string, RegExp> = { css: /^text\/css/, js: /^(text|application)\/javascript/, png: /^image\/png$/ };

describe('GET /docs', () => {
  const app = docsApp();

  it('is an HTML page under its own strict CSP: same origin only, no inline code, no eval', async () => {
    const res = await request(app).get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = res.headers['content-security-policy'];
    expect(csp).toBe(DOCS_CSP);
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-(eval|inline)|\*/);
  });

  it('references only its own assets, and no inline script or style', async () => {
    const html = (await request(app).get('/docs')).text;
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\/\/[^\s"'<>]/); // no protocol-relative URL either
    expect(html).not.toMatch(/<style|\sstyle=|\son\w+=/i);
    for (const script of html.match(/<script[^>]*>[\s\S]*?<\/script>/g) ?? []) expect(script).toMatch(/^<script src="[^"]+"><\/script>$/);
  });

  it('every asset it references answers 200 with its content type and a long cache lifetime', async () => {
    const html = (await request(app).get('/docs')).text;
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const url of urls) {
      expect(url, url).toMatch(/^\/docs\/assets\/[\w.-]+\?v=\w+$/);
      const res = await request(app).get(url);
      expect(res.status, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(CONTENT_TYPES[url.split('?')[0]!.split('.').pop()!]!);
      expect(res.headers['cache-control'], url).toMatch(/max-age=31536000/);
      expect(Number(res.headers['content-length'] ?? res.body.length), url).toBeGreaterThan(0);
    }
  });

  it('the initializer loads this server’s /openapi.json and no validator badge', async () => {
    const res = await request(app).get('/docs/assets/tessera-docs.js');
    expect(res.text).toContain("url: '/openapi.json'");
    expect(res.text).toContain('validatorUrl: null');
  });

  it('serves no other file of the package, nor anything outside it', async () => {
    for (const path of [
      '/docs/assets/package.json',
      '/docs/assets/swagger-ui.js.map',
      '/docs/assets/index.html',
      '/docs/assets/%2e%2e/package.json',
      '/docs/assets/',
    ]) {
      expect((await request(app).get(path)).status, path).toBe(404);
    }
    expect((await request(app).post('/docs/assets/swagger-ui.css')).status).toBe(404);
  });
});
