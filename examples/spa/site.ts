import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import express, { type Express, type RequestHandler } from 'express';
import { problemHandler, requireAuth } from '../../src/express/index.ts';
import type { Clock } from '../../src/lib/clock.ts';

/** Where the page finds the auth server and the resource server (served as /config.json). */
export interface SpaConfig {
  /** Tessera, e.g. http://auth.example.test:5000; '' for the page's own origin. */
  authUrl: string;
  /** The resource server's base URL, e.g. http://api.example.test:4000, or a path of the page's origin. */
  apiUrl: string;
  /** A word for the page's header: which layout this is. */
  layout: string;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** main.ts and the client it imports (src/client/index.ts), bundled for the browser as one ES module. */
export async function bundleSpa(): Promise<string> {
  const result = await build({
    entryPoints: [here('./main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/**
 * The static page: index.html, style.css, the bundle and config.json. The page's CSP lets it
 * load only its own files and talk only to its own origin, Tessera and the resource server;
 * `img-src blob:` lets it show the QR code of MFA enrolment, an SVG it turns into an object URL.
 */
export function spaPage(config: SpaConfig, bundle: string): RequestHandler {
  const elsewhere = [config.authUrl, config.apiUrl].filter((url) => URL.canParse(url)).map((url) => new URL(url).origin);
  const connect = [...new Set(["'self'", ...elsewhere])].join(' ');
  const csp = `default-src 'none'; script-src 'self'; style-src 'self'; img-src blob:; connect-src ${connect}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  const html = readFileSync(here('./index.html'), 'utf8');
  const css = readFileSync(here('./style.css'), 'utf8');
  const router = express.Router();
  router.get('/', (_req, res) => {
    res.set({ 'Content-Security-Policy': csp, 'Cache-Control': 'no-store' }).type('html').send(html);
  });
  router.get('/app.js', (_req, res) => {
    res.set('Cache-Control', 'no-store').type('text/javascript').send(bundle);
  });
  router.get('/style.css', (_req, res) => {
    res.type('css').send(css);
  });
  router.get('/config.json', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(config);
  });
  router.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  return router;
}

/**
 * The resource server: one protected route, verified with Tessera's public keys only
 * (tessera-auth/express). `origins` may call it from the browser with an Authorization header
 * (no cookies: it never needs any).
 */
export function exampleApi(options: { jwksUrl: string; issuer: string; audience: string; origins?: string[]; clock?: Clock }): Express {
  const app = express();
  const origins = new Set(options.origins ?? []);
  app.use((req, res, next) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    if (!origin || !origins.has(origin)) return next();
    res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': 'WWW-Authenticate' });
    if (req.method !== 'OPTIONS') return next();
    res.set({ 'Access-Control-Allow-Methods': 'GET', 'Access-Control-Allow-Headers': 'Authorization', 'Access-Control-Max-Age': '600' });
    res.status(204).end();
  });
  const auth = requireAuth({
    jwksUrl: options.jwksUrl,
    issuer: options.issuer,
    audience: options.audience,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  app.get('/orders', auth, (req, res) => {
    res.json({
      for: req.auth?.sub,
      orders: [
        { id: 'A-1001', item: 'Tessera mug', total: '12.00 EUR' },
        { id: 'A-1002', item: 'Hex key set', total: '24.50 EUR' },
      ],
    });
  });
  app.use(problemHandler());
  return app;
}
