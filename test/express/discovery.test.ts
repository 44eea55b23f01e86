import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDiscoveredKeystore } from '../../src/express/discovery.ts';
import { problemHandler, requireAuth, type RequireAuthOptions } from '../../src/express/index.ts';
import { fakeClock } from '../helpers/clock.ts';
import { freePort } from '../helpers/server-process.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';
import { makeKey, mint, nowSeconds, type IdpKey } from './identity-provider.ts';

/**
 * requireAuth({ issuer, audience }) without jwksUrl: the JWKS comes from the issuer's discovery
 * document, from a live Tessera server and from a small provider that is not Tessera, over HTTP.
 */

/** An HTTP server on 127.0.0.1 (`port` 0: any free one) whose handler may be set after it listens. */
async function serve(port = 0) {
  let handler: RequestListener = (_req, res) => res.writeHead(503).end();
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    handle(next: RequestListener) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A resource service: /me answers req.auth. */
function resourceService(options: RequireAuthOptions) {
  const app = express();
  app.get('/me', requireAuth(options), (req, res) => {
    res.json(req.auth);
  });
  app.use(problemHandler());
  return app;
}

const get = (app: express.Express, token: string) => request(app).get('/me').set('Authorization', `Bearer ${token}`);

/**
 * A provider that is not Tessera: an RFC 8414 document only (its issuer has a path, so the
 * well-known segment goes between host and path) and a JWKS. `up` false answers 503 to everything.
 */
async function foreignProvider(port = 0) {
  const key = makeKey('foreign-1', 'ES256');
  const hits = { document: [] as string[], jwks: 0 };
  const state = { up: true, documentIssuer: undefined as string | undefined, jwksPath: '/keys', keys: [key] as IdpKey[] };
  const server = await serve(port);
  const issuer = `${server.url}/tenants/acme`;
  const app = express();
  app.use((req, res, next) => {
    if (req.path.includes('/.well-known/')) hits.document.push(req.path);
    if (!state.up) res.status(503).end();
    else next();
  });
  app.get('/.well-known/oauth-authorization-server/tenants/acme', (_req, res) => {
    res.json({
      issuer: state.documentIssuer ?? issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${server.url}${state.jwksPath}`,
      response_types_supported: ['code'],
    });
  });
  app.get(/^\/keys/, (req, res) => {
    hits.jwks += 1;
    if (req.path === state.jwksPath) res.json({ keys: state.keys.map((k) => k.jwk) });
    else res.status(404).end();
  });
  server.handle(app);
  /** An RFC 9068 access token, as any provider issues them: no `sid`, no `roles`. */
  const token = (signer: IdpKey = key, claims: Record<string, unknown> = {}) =>
    mint(
      signer,
      {
        iss: issuer,
        aud: 'orders-api',
        sub: 'user-42',
        client_id: 'orders-web',
        iat: nowSeconds(),
        exp: nowSeconds() + 300,
        jti: crypto.randomUUID(),
        ...claims,
      },
      'at+jwt',
    );
  return { issuer, server, hits, state, key, token };
}

describe('discovery against a live Tessera server', () => {
  let t: TestApp;
  let tessera: Awaited<ReturnType<typeof serve>>;
  const hits = { document: 0, jwks: 0 };

  beforeAll(async () => {
    // Listening first, so that APP_URL (the default issuer) is the address it is reached at.
    tessera = await serve();
    t = await createTestApp({ APP_URL: tessera.url }, { clock: fakeClock(Date.now()) });
    tessera.handle((req, res) => {
      if (req.url === '/.well-known/openid-configuration') hits.document += 1;
      if (req.url === '/.well-known/jwks.json') hits.jwks += 1;
      t.app(req, res);
    });
  });
  afterAll(async () => {
    await tessera.close();
    await t.close();
  });

  it('accepts a Tessera access token with issuer and audience alone, and refuses a tampered one', async () => {
    expect(t.config.jwt.issuer).toBe(tessera.url);
    const api = resourceService({ issuer: t.config.jwt.issuer, audience: 'tessera-api' });
    const session = await signupAndLogin(t.app);
    const res = await get(api, session.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.sub).toBe(session.userId);
    expect(res.body.sid).toEqual(expect.any(String));

    const [header, payload, signature] = session.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${signature}`;
    const refused = await get(api, tampered);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_token');
    // The document and the JWKS were each read once (OpenID Connect's location is tried first).
    expect(hits).toEqual({ document: 1, jwks: 1 });
  });

  it("reads from Tessera's document that the issuer is a Tessera server", async () => {
    const keys = createDiscoveredKeystore({ issuer: t.config.jwt.issuer, algorithms: ['ES256'] });
    await keys.reload();
    expect(keys.discoveredProfile()).toBe('tessera');
  });
});

describe('discovery against a provider that is not Tessera', () => {
  let provider: Awaited<ReturnType<typeof foreignProvider>>;
  let warnings: string[];
  afterEach(async () => {
    vi.restoreAllMocks();
    await provider.server.close();
  });
  const captureWarnings = () => {
    warnings = [];
    vi.spyOn(console, 'warn').mockImplementation((line: string) => void warnings.push(line));
  };

  it("finds the JWKS through RFC 8414's document (path inserted after the host) and accepts its RFC 9068 tokens", async () => {
    provider = await foreignProvider();
    const api = resourceService({ issuer: provider.issuer, audience: 'orders-api' });
    const res = await get(api, await provider.token());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.sub).toBe('user-42');
    expect(provider.hits.document).toEqual([
      '/tenants/acme/.well-known/openid-configuration', // OpenID Connect's location: not served here
      '/.well-known/oauth-authorization-server/tenants/acme',
    ]);
    const stranger = makeKey('foreign-1', 'ES256'); // the provider's kid, another key
    expect((await get(api, await provider.token(stranger))).status).toBe(401);
    const keys = createDiscoveredKeystore({ issuer: provider.issuer, algorithms: ['ES256'] });
    await keys.reload();
    expect(keys.discoveredProfile()).toBe('rfc9068');
  });

  it('refuses a document that names another issuer (RFC 8414 §3.3): 503, its JWKS never fetched, and the reason logged', async () => {
    captureWarnings();
    provider = await foreignProvider();
    provider.state.documentIssuer = 'https://attacker.example';
    const api = resourceService({ issuer: provider.issuer, audience: 'orders-api' });
    const res = await get(api, await provider.token());
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('unavailable');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(res.body)).not.toContain('attacker');
    expect(provider.hits.jwks).toBe(0);
    expect(warnings.join('\n')).toMatch(/names the issuer .*attacker\.example.*not used \(RFC 8414 §3\.3\)/);
  });

  it('answers 503 while the issuer cannot be reached, and verifies again once it is back', async () => {
    captureWarnings();
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}/tenants/acme`;
    const api = resourceService({ issuer, audience: 'orders-api' });
    const down = await request(api).get('/me').set('Authorization', 'Bearer a.b.c');
    expect(down.status).toBe(401); // a token that is not one is refused as such, outage or not
    const early = makeKey('foreign-1', 'ES256');
    const refused = await get(
      api,
      await mint(early, { iss: issuer, aud: 'orders-api', sub: 'u', iat: nowSeconds(), exp: nowSeconds() + 300, jti: 'j' }, 'at+jwt'),
    );
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('unavailable');
    expect(warnings).toHaveLength(1); // one line for the outage, not one a request

    provider = await foreignProvider(port);
    expect(provider.issuer).toBe(issuer);
    const token = await provider.token();
    // A failed read is retried a second later at the soonest: well within 3 s it verifies.
    await vi.waitFor(async () => expect((await get(api, token)).status).toBe(200), { timeout: 3000, interval: 100 });
  });

  it('reads a failing document at most once a second however many requests come, and recovers', async () => {
    captureWarnings();
    provider = await foreignProvider();
    provider.state.up = false;
    const api = resourceService({ issuer: provider.issuer, audience: 'orders-api' });
    const token = await provider.token();
    const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await get(api, token)).status));
    expect(statuses).toEqual(Array.from({ length: 20 }, () => 503));
    // The read when requireAuth was built, and at most one more: each tries both locations.
    expect(provider.hits.document.length).toBeLessThanOrEqual(4);
    provider.state.up = true;
    await vi.waitFor(async () => expect((await get(api, token)).status).toBe(200), { timeout: 3000, interval: 100 });
  });

  it('re-reads a document once it is old, and follows a jwks_uri that moved', async () => {
    provider = await foreignProvider();
    const keys = createDiscoveredKeystore({ issuer: provider.issuer, algorithms: ['ES256'], cacheMaxAgeMs: 0 });
    await keys.reload();
    expect(keys.find('foreign-1')).toBeDefined();
    const moved = makeKey('foreign-2', 'ES256');
    provider.state.jwksPath = '/keys-v2';
    provider.state.keys = [moved];
    expect(keys.find('foreign-2')).toBeUndefined(); // starts the re-read; the old keys answer meanwhile
    await keys.reload({ onlyIfCool: true, kid: 'foreign-2' });
    expect(keys.find('foreign-2')?.kid).toBe('foreign-2');
  });
});

describe('discovery options', () => {
  it('needs one issuer, an http(s) URL, when requireAuth is built', () => {
    const fails = (issuer: string | string[]) => () => requireAuth({ issuer, audience: 'api' });
    expect(fails('tessera')).toThrow(/issuer must be the issuer’s http\(s\) URL/);
    expect(fails('https://auth.example.com/?tenant=a')).toThrow(TypeError);
    expect(fails(['https://a.example.com', 'https://b.example.com'])).toThrow(/must then be one issuer; with several, give jwksUrl/);
  });
});
