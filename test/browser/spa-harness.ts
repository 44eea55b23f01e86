import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import express, { type RequestHandler } from 'express';
import { bundleSpa, exampleApi, spaPage, type SpaConfig } from '../../examples/spa/site.ts';
import type { TesseraClient } from '../../src/client/index.ts';
import { fakeClock } from '../helpers/clock.ts';
import { listen } from '../helpers/listen.ts';
import { createTestApp, PASSWORD, type TestApp } from '../helpers/test-app.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.ts';

/** What the example page exposes on `window.spa` (examples/spa/main.ts). */
export type SpaWindow = { spa: { tessera: TesseraClient; config: SpaConfig; ended: string[] } };

/** One request Tessera answered, as its server saw it. */
export interface Hit {
  method: string;
  path: string;
  status: number;
  origin: string | undefined;
  /** Whether the browser sent the refresh_token cookie with it. */
  refreshCookie: boolean;
}

/**
 * The example page and Tessera on sibling hosts of one site, as a browser sees them:
 *   http://app.example.test:P  the page (examples/spa, in CORS_ORIGINS)
 *   http://auth.example.test:Q Tessera, COOKIE_DOMAIN=example.test
 *   http://api.example.test:R  the resource server (requireAuth over Tessera's JWKS)
 * and on other sites, both served by the page's server:
 *   http://app.other.test:P    the same page deployed on another site (also in CORS_ORIGINS)
 *   http://evil.other.test:P   a foreign page (not in CORS_ORIGINS)
 * Every name is mapped to 127.0.0.1 inside Chromium (--host-resolver-rules). Tessera and the
 * resource server share a fake clock, so access tokens expire when a test advances it.
 */
export async function startSpaSites(env: Record<string, string> = {}) {
  const bundle = await bundleSpa();
  // The page needs Tessera's URL, and Tessera (CORS_ORIGINS) the page's port: it is mounted last.
  const mounted: { page?: RequestHandler } = {};
  const site = express();
  site.get('/blank', (_req, res) => {
    res.type('html').send('<!doctype html><title>Another site</title><p>Another site</p>');
  });
  site.use((req, res, next) => (mounted.page ? mounted.page(req, res, next) : next()));
  const pageServer = await listen(site);
  const port = (pageServer.server.address() as AddressInfo).port;
  const origins = {
    app: `http://app.example.test:${port}`,
    crossSiteApp: `http://app.other.test:${port}`,
    evil: `http://evil.other.test:${port}`,
  };

  const clock = fakeClock(Date.now());
  const t: TestApp = await createTestApp(
    { COOKIE_DOMAIN: 'example.test', COOKIE_SECURE: 'false', CORS_ORIGINS: `${origins.app},${origins.crossSiteApp}`, ...env },
    { clock },
  );
  const auth = await listen(t.app);
  const hits: Hit[] = [];
  auth.server.on('request', (req, res) => {
    res.on('finish', () =>
      hits.push({
        method: req.method ?? '',
        path: req.url ?? '',
        status: res.statusCode,
        origin: req.headers.origin,
        refreshCookie: /(?:^|;\s*)refresh_token=/.test(req.headers.cookie ?? ''),
      }),
    );
  });
  const authPort = (auth.server.address() as AddressInfo).port;
  const api = await listen(
    exampleApi({
      jwksUrl: `${auth.url}/.well-known/jwks.json`,
      issuer: t.config.jwt.issuer,
      audience: t.config.jwt.audience,
      origins: [origins.app, origins.crossSiteApp],
      clock,
    }),
  );
  const apiPort = (api.server.address() as AddressInfo).port;
  const config: SpaConfig = {
    layout: 'Sibling hosts (browser test)',
    authUrl: `http://auth.example.test:${authPort}`,
    apiUrl: `http://api.example.test:${apiPort}`,
  };
  mounted.page = spaPage(config, bundle);

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...CHROMIUM_ARGS,
      '--host-resolver-rules=MAP *.example.test 127.0.0.1, MAP *.other.test 127.0.0.1',
      // Production pages are https, hence secure contexts with Web Locks; these http ones are
      // treated alike (navigator.locks exists only in secure contexts).
      `--unsafely-treat-insecure-origin-as-secure=${origins.app},${origins.crossSiteApp}`,
    ],
  });

  return {
    t,
    clock,
    hits,
    browser,
    origins,
    config,
    /** The POST /api/auth/refresh requests Tessera answered since hit number `since`. */
    refreshes: (since = 0) => hits.slice(since).filter((h) => h.method === 'POST' && h.path === '/api/auth/refresh'),
    async close() {
      await browser.close();
      await Promise.all([pageServer.close(), auth.close(), api.close()]);
      await t.close();
    },
  };
}

export type SpaSites = Awaited<ReturnType<typeof startSpaSites>>;

/** Opens the page and waits until it knows whether it is signed in; uncaught errors land in `errors`. */
export async function openSpa(newPage: () => Promise<Page>, url: string, errors: string[]): Promise<Page> {
  const page = await newPage();
  page.on('pageerror', (e) => errors.push(`${url}: ${e.message}`));
  await page.goto(`${url}/`);
  await page.waitForSelector('body:not([data-state="loading"])');
  return page;
}

/** Signs a new user up through the page's form and waits for the signed-in view. */
export async function signUpThroughPage(page: Page, email: string): Promise<void> {
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await page.click('#signup');
  await page.waitForSelector('body[data-state="signed-in"] #sessions tr');
}

/** The page's body[data-state]: loading, signed-in or signed-out. */
export const stateOf = (page: Page) => page.evaluate(() => document.body.dataset.state);
