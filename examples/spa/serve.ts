/**
 * The single-page app example in one command:
 *
 *   npx tsx examples/spa/serve.ts                  # one origin: http://localhost:5173
 *   npx tsx examples/spa/serve.ts --sibling-hosts  # app./auth./api.example.test (see README.md)
 *
 * Starts Tessera on a throwaway SQLite database, a resource server that trusts Tessera's JWKS,
 * and the page with the client bundled for the browser. Ctrl-C stops everything and deletes the data.
 * Ports: --port/PORT (the page, 5173), and with --sibling-hosts --auth-port/AUTH_PORT (5000) and
 * --api-port/API_PORT (4000); a flag wins over its variable, and 0 picks a free port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import express from 'express';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { openRuntime } from '../../src/runtime.ts';
import { bundleSpa, exampleApi, spaPage, type SpaConfig } from './site.ts';

const { values: flags } = parseArgs({
  options: {
    'sibling-hosts': { type: 'boolean', default: false },
    port: { type: 'string' },
    'auth-port': { type: 'string' },
    'api-port': { type: 'string' },
  },
});
const siblings = flags['sibling-hosts'];

const servers: Server[] = [];
/**
 * Listens on the port of `flag` (its value, else its variable, else the default) before anything
 * is built: the origins (CORS_ORIGINS, APP_URL, the page's config) need the ports bound.
 */
async function bind(flag: 'port' | 'auth-port' | 'api-port', variable: string, fallback: number) {
  const given = flags[flag] ?? process.env[variable];
  const port = Number(given ?? fallback);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--${flag}/${variable} must be a port number (0-65535), not ${given}`);
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? fail(`port ${port} is in use: pick another with --${flag} or ${variable}`) : reject(error),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  return { server, port: (server.address() as AddressInfo).port };
}
function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const page = await bind('port', 'PORT', 5173);
const auth = siblings ? await bind('auth-port', 'AUTH_PORT', 5000) : page;
const api = siblings ? await bind('api-port', 'API_PORT', 4000) : page;
const origins = siblings
  ? {
      page: `http://app.example.test:${page.port}`,
      auth: `http://auth.example.test:${auth.port}`,
      api: `http://api.example.test:${api.port}`,
    }
  : { page: `http://localhost:${page.port}`, auth: `http://localhost:${page.port}`, api: `http://localhost:${page.port}/resource` };
/** Another site, allowed only to show that a page there cannot keep a session (README.md). */
const otherSite = `http://app.other.test:${page.port}`;

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-spa-'));
const config = loadConfig({
  NODE_ENV: 'development',
  DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'pretty',
  COOKIE_SECURE: 'false', // plain http on this machine; always true in production
  APP_URL: origins.auth, // the links in mails, and the tokens' issuer
  ...(siblings ? { COOKIE_DOMAIN: 'example.test', CORS_ORIGINS: `${origins.page},${otherSite}` } : {}),
});
const logger = createLogger(config.logLevel, undefined, { pretty: true });
for (const warning of config.warnings) logger.warn(warning);
const runtime = await openRuntime(config, systemClock, logger);
const tessera = createApp({ config, ...runtime, clock: systemClock, logger });
const bundle = await bundleSpa();

if (siblings) {
  const spa: SpaConfig = { layout: 'Sibling hosts of one site', authUrl: origins.auth, apiUrl: origins.api };
  const jwksUrl = `http://127.0.0.1:${auth.port}/.well-known/jwks.json`;
  auth.server.on('request', tessera);
  api.server.on(
    'request',
    exampleApi({ jwksUrl, issuer: config.jwt.issuer, audience: config.jwt.audience, origins: [origins.page, otherSite] }),
  );
  page.server.on('request', express().disable('x-powered-by').use(spaPage(spa, bundle)));
} else {
  // One origin: the page, Tessera (/api/auth, /.well-known) and the resource server (/resource).
  const spa: SpaConfig = { layout: 'One origin', authUrl: '', apiUrl: '/resource' };
  const jwksUrl = `http://127.0.0.1:${page.port}/.well-known/jwks.json`;
  const site = express().disable('x-powered-by');
  site.use(spaPage(spa, bundle));
  site.use('/resource', exampleApi({ jwksUrl, issuer: config.jwt.issuer, audience: config.jwt.audience }));
  site.use(tessera);
  page.server.on('request', site);
}

console.log(`\nOpen ${origins.page}/ (data in ${dataDir}; Ctrl-C stops and deletes it)`);
if (siblings) {
  console.log(`  page:            ${origins.page} (--port/PORT)`);
  console.log(`  Tessera:         ${origins.auth} (--auth-port/AUTH_PORT)`);
  console.log(`  resource server: ${origins.api} (--api-port/API_PORT)`);
  console.log('These names must reach 127.0.0.1, and the page needs Web Locks (secure contexts only): start Chromium with');
  console.log(
    `  chromium --user-data-dir=$(mktemp -d) --host-resolver-rules="MAP *.example.test 127.0.0.1" --unsafely-treat-insecure-origin-as-secure=${origins.page} ${origins.page}/`,
  );
  console.log('or see examples/spa/README.md for a hosts file.');
} else {
  console.log(`  page, Tessera (/api/auth) and the resource server (/resource) on ${origins.page} (--port/PORT)`);
}

const stop = () => {
  for (const server of servers) server.closeAllConnections();
  void Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
    .then(() => runtime.close())
    .finally(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
