import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { type RequestHandler } from 'express';
import { READS_NO_INPUT } from './common-schemas.ts';
import { endpoint, type Endpoint } from './endpoint.ts';

/**
 * The API reference at GET /docs: Swagger UI (swagger-ui-dist) rendering /openapi.json, every
 * file served from this process, so the page works offline and under a CSP without inline
 * code, eval or other origins.
 */
const require = createRequire(import.meta.url);
const DIST = dirname(require.resolve('swagger-ui-dist/package.json'));
const DIST_VERSION = (require('swagger-ui-dist/package.json') as { version: string }).version;

/** The package's files the page loads (the standalone preset, with its URL bar, is left out). */
const DIST_FILES = new Set(['/swagger-ui.css', '/index.css', '/swagger-ui-bundle.js', '/favicon-32x32.png', '/favicon-16x16.png']);

/** Our initializer: a file, not an inline script, so script-src can stay 'self'. */
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

/** Changes with the package or the initializer, so the assets can be cached for a year. */
const V = createHash('sha256').update(DIST_VERSION).update(INIT_SCRIPT).digest('hex').slice(0, 12);
const asset = (file: string) => `/docs/assets${file}?v=${V}`;

/**
 * Only this origin, no inline script or style (Swagger UI sets styles through the DOM, which
 * style-src does not govern); data: images for the icons its stylesheet embeds.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera API reference</title>
<link rel="stylesheet" href="${asset('/swagger-ui.css')}">
<link rel="stylesheet" href="${asset('/index.css')}">
<link rel="icon" type="image/png" sizes="32x32" href="${asset('/favicon-32x32.png')}">
<link rel="icon" type="image/png" sizes="16x16" href="${asset('/favicon-16x16.png')}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${asset('/swagger-ui-bundle.js')}"></script>
<script src="${asset('/tessera-docs.js')}"></script>
</body>
</html>
`;

export function docsEndpoints(): Endpoint[] {
  return [
    endpoint({
      method: 'get',
      path: '/docs',
      operationId: 'docs',
      summary: 'API reference: this document rendered as a web page',
      access: 'public',
      responses: { 200: { description: 'HTML page', contentType: 'text/html' }, no4xx: READS_NO_INPUT },
      handler({ res }) {
        res.setHeader('Content-Security-Policy', DOCS_CSP);
        res.type('html').send(PAGE);
      },
    }),
  ];
}

/** Serves the page's assets under /docs/assets; anything else falls through to the 404. */
export function docsAssets(): RequestHandler {
  const files = express.static(DIST, { index: false, redirect: false, dotfiles: 'deny', maxAge: '365d', immutable: true });
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path === '/tessera-docs.js') {
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.type('text/javascript').send(INIT_SCRIPT);
      return;
    }
    if (!DIST_FILES.has(req.path)) return next();
    files(req, res, next);
  };
}
