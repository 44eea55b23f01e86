/**
 * The example resource server (README.md):
 *
 *   npx tsx examples/resource-server/server.ts [--port 4000] [--auth-url http://localhost:5000]
 *
 * Every flag has an environment variable (PORT, AUTH_URL, JWKS_URL, JWT_ISSUER); a flag wins.
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { closeRevocationFeeds } from '../../src/express/index.ts';
import { createResourceServer } from './app.ts';

const { values: flags } = parseArgs({
  options: {
    port: { type: 'string' },
    'auth-url': { type: 'string' },
    'jwks-url': { type: 'string' },
    issuer: { type: 'string' },
  },
});
const env = process.env;
const port = Number(flags.port ?? env.PORT ?? 4000);
const auth = (flags['auth-url'] ?? env.AUTH_URL ?? 'http://localhost:5000').replace(/\/+$/, '');
const jwksUrl = flags['jwks-url'] ?? env.JWKS_URL ?? `${auth}/.well-known/jwks.json`;
// Tessera's `iss` is its APP_URL unless the server sets JWT_ISSUER: then set the same here.
const issuer = flags.issuer ?? env.JWT_ISSUER ?? auth;
// With a service client (`tessera client create --name orders`), revocations arrive within a second.
const { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret } = env;
const revocations = clientId && clientSecret ? { url: `${auth}/api/revocations`, clientId, clientSecret } : undefined;

if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port/PORT must be a port number (0-65535), not ${flags.port ?? env.PORT}`);
for (const [name, url] of [
  ['--auth-url/AUTH_URL', auth],
  ['--jwks-url/JWKS_URL', jwksUrl],
] as const) {
  if (!URL.canParse(url)) fail(`${name} must be a URL such as http://localhost:5000, not ${url}`);
}

const server = createResourceServer({ jwksUrl, issuer, ...(revocations ? { revocations } : {}) }).listen(
  port,
  (error?: NodeJS.ErrnoException) => {
    // Express 5 hands a failed listen to this callback.
    if (error) fail(error.code === 'EADDRINUSE' ? `port ${port} is in use: pick another with --port or PORT` : error.message);
    // The port actually bound: --port 0 picks a free one.
    const { port: bound } = server.address() as AddressInfo;
    console.log(`resource server on http://localhost:${bound} (--port/PORT)`);
    console.log(`  Tessera:  ${auth} (--auth-url/AUTH_URL)`);
    console.log(`  JWKS:     ${jwksUrl} (--jwks-url/JWKS_URL)`);
    console.log(`  issuer:   ${issuer} (--issuer/JWT_ISSUER)`);
    console.log(`  revocation feed: ${revocations ? revocations.url : 'off (set CLIENT_ID and CLIENT_SECRET)'}`);
  },
);

function fail(message: string): never {
  console.error(`resource server: ${message}`);
  process.exit(1);
}

const stop = () => {
  server.close();
  void closeRevocationFeeds();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
