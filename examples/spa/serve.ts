/**
 * The single-page app example in one command:
 *
 *   npx tsx examples/spa/serve.ts                  # one origin: http://localhost:5173
 *   npx tsx examples/spa/serve.ts --sibling-hosts  # app./auth./api.example.test (see README.md)
 *
 * Starts Tessera on a throwaway SQLite database, a resource server that trusts Tessera's JWKS,
 * and the page with the client bundled for the browser. Ctrl-C stops everything and deletes the data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import express, { type Express } from 'express';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { openRuntime } from '../../src/runtime.ts';
import { bundleSpa, exampleApi, spaPage, type SpaConfig } from './site.ts';

const { values: flags } = parseArgs({
  options: { 'sibling-hosts': { type: 'boolean', default: false }, port: { type: 'string', default: '5173' } },
});
const siblings = flags['sibling-hosts'];
const ports = { page: Number(flags.port), auth: 5000, api: 4000 };
const origins = siblings
  ? {
      page: `http://app.example.test:${ports.page}`,
      auth: `http://auth.example.test:${ports.auth}`,
      api: `http://api.example.test:${ports.api}`,
    }
  : { page: `http://localhost:${ports.page}` };
/** Another site, allowed only to show that a page there cannot keep a session (README.md). */
const otherSite = `http://app.other.test:${ports.page}`;

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-spa-'));
const config = loadConfig({
  NODE_ENV: 'development',
  DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'pretty',
  COOKIE_SECURE: 'false', // plain http on this machine; always true in production
  ...(siblings ? { COOKIE_DOMAIN: 'example.test', CORS_ORIGINS: `${origins.page},${otherSite}` } : {}),
});
const logger = createLogger(config.logLevel, undefined, { pretty: true });
for (const warning of config.warnings) logger.warn(warning);
const runtime = await openRuntime(config, systemClock, logger);
const tessera = createApp({ config, ...runtime, clock: systemClock, logger });
const bundle = await bundleSpa();

const servers: Server[] = [];
const listen = (app: Express, port: number) =>
  new Promise<void>((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve()));
    servers.push(server);
  });

if (siblings) {
  const spa: SpaConfig = { layout: 'Sibling hosts of one site', authUrl: origins.auth ?? '', apiUrl: origins.api ?? '' };
  const jwksUrl = `http://127.0.0.1:${ports.auth}/.well-known/jwks.json`;
  await listen(tessera, ports.auth);
  await listen(
    exampleApi({ jwksUrl, issuer: config.jwt.issuer, audience: config.jwt.audience, origins: [origins.page, otherSite] }),
    ports.api,
  );
  await listen(express().disable('x-powered-by').use(spaPage(spa, bundle)), ports.page);
} else {
  // One origin: the page, Tessera (/api/auth, /.well-known) and the resource server (/resource).
  const spa: SpaConfig = { layout: 'One origin', authUrl: '', apiUrl: '/resource' };
  const jwksUrl = `http://127.0.0.1:${ports.page}/.well-known/jwks.json`;
  const site = express().disable('x-powered-by');
  site.use(spaPage(spa, bundle));
  site.use('/resource', exampleApi({ jwksUrl, issuer: config.jwt.issuer, audience: config.jwt.audience }));
  site.use(tessera);
  await listen(site, ports.page);
}

console.log(`\nOpen ${origins.page}/ (data in ${dataDir}; Ctrl-C stops and deletes it)`);
if (siblings) {
  console.log(`Tessera on ${origins.auth}, the resource server on ${origins.api}.`);
  console.log('These names must reach 127.0.0.1, and the page needs Web Locks (secure contexts only): start Chromium with');
  console.log(
    `  chromium --user-data-dir=$(mktemp -d) --host-resolver-rules="MAP *.example.test 127.0.0.1" --unsafely-treat-insecure-origin-as-secure=${origins.page} ${origins.page}/`,
  );
  console.log('or see examples/spa/README.md for a hosts file.');
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
