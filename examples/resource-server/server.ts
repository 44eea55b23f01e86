import { closeRevocationFeeds } from '../../src/express/index.ts';
import { createResourceServer } from './app.ts';

const port = Number(process.env.PORT ?? 4000);
const auth = process.env.AUTH_URL ?? 'http://localhost:5000';
const jwksUrl = process.env.JWKS_URL ?? `${auth}/.well-known/jwks.json`;
// Tessera's `iss` is its APP_URL unless the server sets JWT_ISSUER: then set the same here.
const issuer = process.env.JWT_ISSUER ?? auth;
// With a service client (`tessera client create --name orders`), revocations arrive within a second.
const { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret } = process.env;
const revocations = clientId && clientSecret ? { url: `${auth}/api/revocations`, clientId, clientSecret } : undefined;

const server = createResourceServer({ jwksUrl, issuer, ...(revocations ? { revocations } : {}) }).listen(port, () => {
  console.log(`resource server on http://localhost:${port}, trusting ${jwksUrl}${revocations ? ', with the revocation feed' : ''}`);
});
process.once('SIGTERM', () => {
  server.close();
  void closeRevocationFeeds();
});
