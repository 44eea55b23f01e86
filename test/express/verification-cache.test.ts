import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemHandler, requireAuth, type RequireAuthOptions, type VerifiedClaims } from '../../src/express/index.ts';
import { withPayload } from '../helpers/auth-assertions.ts';
import { fakeClock } from '../helpers/clock.ts';
import { flipS, makeKey, mint, nowSeconds, serveJwks } from './identity-provider.ts';

const tessera = makeKey('tessera-ed', 'EdDSA');
const keycloak = makeKey('kc-ec', 'ES256');
let jwks: Awaited<ReturnType<typeof serveJwks>>;
beforeAll(async () => {
  jwks = await serveJwks([tessera, keycloak]);
});
afterAll(async () => {
  await jwks.close();
});

/** A Tessera-shaped access token (typ at+jwt, sid, jti, roles), verified with the default options. */
const tesseraToken = (lifetime = 300) =>
  mint(
    tessera,
    {
      iss: 'tessera',
      aud: 'tessera-api',
      sub: 'u1',
      sid: 's1',
      jti: 'j1',
      roles: ['user'],
      iat: nowSeconds(),
      exp: nowSeconds() + lifetime,
    },
    'at+jwt',
  );
const keycloakToken = () =>
  mint(keycloak, { iss: 'http://kc/realms/x', aud: 'account', sub: 'u2', iat: nowSeconds(), exp: nowSeconds() + 300 }, 'JWT');

/** A service that records the claims object each request got: the cache hands out the one it verified. */
function recordingServer(options: Partial<RequireAuthOptions>) {
  const seen: VerifiedClaims[] = [];
  const app = express();
  app.get('/x', requireAuth({ jwksUrl: jwks.jwksUrl, issuer: 'tessera', audience: 'tessera-api', ...options }), (req, res) => {
    if (req.auth) seen.push(req.auth);
    res.json({});
  });
  app.use(problemHandler());
  const call = (token: string) => request(app).get('/x').set('Authorization', `Bearer ${token}`);
  return { seen, call };
}

describe('the verification cache of requireAuth', () => {
  it('is on by default: a repeated Tessera token gets the claims verified the first time; cacheSize 0 verifies each time', async () => {
    const token = await tesseraToken();
    const cached = recordingServer({});
    expect((await cached.call(token)).status).toBe(200);
    expect((await cached.call(token)).status).toBe(200);
    expect(cached.seen[1]).toBe(cached.seen[0]);

    const uncached = recordingServer({ cacheSize: 0 });
    expect((await uncached.call(token)).status).toBe(200);
    expect((await uncached.call(token)).status).toBe(200);
    expect(uncached.seen[1]).not.toBe(uncached.seen[0]);
    expect(uncached.seen[1]).toEqual(uncached.seen[0]);
  });

  it('skips verification for other issuers too (rolesClaim runs once per verification)', async () => {
    const foreign = { issuer: 'http://kc/realms/x', audience: 'account', typ: ['JWT'] };
    const token = await keycloakToken();
    let reads = 0;
    const rolesClaim = () => {
      reads += 1;
      return ['user'];
    };
    const cached = recordingServer({ ...foreign, rolesClaim });
    for (let i = 0; i < 3; i += 1) expect((await cached.call(token)).status).toBe(200);
    expect(reads).toBe(1);

    reads = 0;
    const uncached = recordingServer({ ...foreign, rolesClaim, cacheSize: 0 });
    for (let i = 0; i < 3; i += 1) expect((await uncached.call(token)).status).toBe(200);
    expect(reads).toBe(3);
  });

  it('gives the other form of an ES256 signature no entry of its own', async () => {
    const token = await keycloakToken();
    let reads = 0;
    const server = recordingServer({
      issuer: 'http://kc/realms/x',
      audience: 'account',
      typ: ['JWT'],
      rolesClaim: () => {
        reads += 1;
        return [];
      },
    });
    expect((await server.call(token)).status).toBe(200);
    expect((await server.call(flipS(token))).status).toBe(200);
    expect(reads).toBe(1);
    expect(server.seen[1]).toBe(server.seen[0]);
  });

  it('hands cached claims only to the exact token: a forgery ending in a cached token’s signature is refused, and the entry stays', async () => {
    const token = await tesseraToken();
    const server = recordingServer({});
    expect((await server.call(token)).status).toBe(200);
    // The same signature (so the same cache slot) under another payload: an admin's roles.
    const forged = withPayload(token, (claims) => ({ ...claims, roles: ['admin'] }));
    expect(forged.slice(-16)).toBe(token.slice(-16));
    const res = await server.call(forged);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
    expect((await server.call(token)).status).toBe(200);
    expect(server.seen).toHaveLength(2);
    expect(server.seen[1]).toBe(server.seen[0]); // still the entry verified first
  });

  it('still runs isRevoked on every request, after the cache', async () => {
    const token = await tesseraToken();
    let checks = 0;
    let revoked = false;
    const server = recordingServer({
      isRevoked: (claims) => {
        checks += 1;
        return revoked && claims.sid === 's1';
      },
    });
    expect((await server.call(token)).status).toBe(200);
    expect((await server.call(token)).status).toBe(200);
    revoked = true;
    const res = await server.call(token);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_revoked');
    expect(checks).toBe(3);
  });

  it('refuses a cached token once it has expired', async () => {
    const clock = fakeClock(Date.now());
    const token = await tesseraToken(60);
    const server = recordingServer({ clock });
    expect((await server.call(token)).status).toBe(200);
    clock.advance(50_000);
    expect((await server.call(token)).status).toBe(200);
    expect(server.seen[1]).toBe(server.seen[0]); // from the cache
    clock.advance(16_000); // past exp and the 5 s leeway
    const res = await server.call(token);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_expired');
  });
});
