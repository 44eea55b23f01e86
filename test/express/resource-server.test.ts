import express from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createResourceServer } from '../../examples/resource-server/app.ts';
import { problemHandler, requireAuth } from '../../src/express/index.ts';
import { fakeClock } from '../helpers/clock.ts';
import { listen } from '../helpers/listen.ts';
import { publishDelayMs } from '../../src/runtime.ts';
import { createTestApp, loginAsAdmin, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

describe('resource-server middleware (JWKS)', () => {
  let t: TestApp;
  let auth: Awaited<ReturnType<typeof listen>>;
  let jwksHits: number;

  beforeEach(async () => {
    // The resource server reads the real clock, so the auth server must issue tokens at real time.
    t = await createTestApp({}, { clock: fakeClock(Date.now()) });
    jwksHits = 0;
    const counting = express();
    counting.use('/.well-known/jwks.json', (_req, _res, next) => {
      jwksHits += 1;
      next();
    });
    counting.use(t.app);
    auth = await listen(counting);
  });
  afterEach(async () => {
    await auth.close();
    await t.close();
  });

  it('accepts a Tessera access token, using only the JWKS URL', async () => {
    const api = createResourceServer({ jwksUrl: `${auth.url}/.well-known/jwks.json`, issuer: t.config.jwt.issuer });
    const session = await signupAndLogin(t.app);
    const res = await request(api).get('/orders').set('Authorization', `Bearer ${session.accessToken}`);
    expect(res.status).toBe(200);
    expect(res.body.for).toBe(session.userId);
    // Keys are cached: more requests, no more fetches.
    await request(api).get('/orders').set('Authorization', `Bearer ${session.accessToken}`);
    expect(jwksHits).toBe(1);
  });

  it('lets every one of a burst of first requests through: they wait for the one key fetch', async () => {
    const api = createResourceServer({ jwksUrl: `${auth.url}/.well-known/jwks.json`, issuer: t.config.jwt.issuer });
    const sessions = await Promise.all(Array.from({ length: 3 }, () => signupAndLogin(t.app)));
    const server = await listen(api); // real sockets, so the ten requests are really concurrent
    try {
      const statuses = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const res = await fetch(`${server.url}/orders`, { headers: { authorization: `Bearer ${sessions[i % 3]!.accessToken}` } });
          return res.status;
        }),
      );
      expect(statuses).toEqual(Array.from({ length: 10 }, () => 200));
      expect(jwksHits).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('answers like the server: problem+json and RFC 6750 headers', async () => {
    const api = createResourceServer({ jwksUrl: `${auth.url}/.well-known/jwks.json`, issuer: t.config.jwt.issuer });
    const none = await request(api).get('/orders');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('missing_token');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    expect(none.headers['content-type']).toMatch(/application\/problem\+json/);

    const session = await signupAndLogin(t.app);
    const forbidden = await request(api).get('/reports').set('Authorization', `Bearer ${session.accessToken}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('insufficient_role');
    const admin = await loginAsAdmin(t);
    const ok = await request(api).get('/reports').set('Authorization', `Bearer ${admin.accessToken}`);
    expect(ok.status).toBe(200);
  });

  it('picks up a rotated key on first sight of its kid, even right after made-up kids, which cost one fetch between them', async () => {
    const api = createResourceServer({ jwksUrl: `${auth.url}/.well-known/jwks.json`, issuer: t.config.jwt.issuer });
    const before = await signupAndLogin(t.app);
    expect((await request(api).get('/orders').set('Authorization', `Bearer ${before.accessToken}`)).status).toBe(200);
    expect(jwksHits).toBe(1);

    const [header, payload, signature] = before.accessToken.split('.');
    const forged = (kid: string) =>
      `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header!, 'base64url').toString()), kid })).toString('base64url')}.${payload}.${signature}`;
    const garbage = (i: number) =>
      request(api)
        .get('/orders')
        .set('Authorization', `Bearer ${forged(`garbage-${i}`)}`);
    // Twenty made-up kids at once: refused, after one fetch between them (at most one a second).
    const statuses = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await garbage(i)).status));
    expect(statuses).toEqual(Array.from({ length: 20 }, () => 401));
    expect(jwksHits).toBe(2);
    // The same kids again, within their cooldown: refused without a fetch.
    for (let i = 0; i < 20; i += 1) expect((await garbage(i)).status).toBe(401);
    expect(jwksHits).toBe(2);

    await t.runtime.keystore.rotate();
    t.clock.advance(publishDelayMs(t.config)); // the new key signs once the publish delay is over
    const after = await signupAndLogin(t.app);
    // Its kid has not been looked for: one fetch (not held up by the others' cooldown), and it passes.
    expect((await request(api).get('/orders').set('Authorization', `Bearer ${after.accessToken}`)).status).toBe(200);
    expect(jwksHits).toBe(3);
    expect((await request(api).get('/orders').set('Authorization', `Bearer ${before.accessToken}`)).status).toBe(200);
  });

  it('refetches for an unknown kid once the cooldown has passed', async () => {
    const api = express();
    api.get(
      '/x',
      requireAuth({ jwksUrl: `${auth.url}/.well-known/jwks.json`, issuer: t.config.jwt.issuer, audience: 'tessera-api', cooldownMs: 0 }),
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    api.use(problemHandler());
    const before = await signupAndLogin(t.app);
    expect((await request(api).get('/x').set('Authorization', `Bearer ${before.accessToken}`)).status).toBe(200);
    await t.runtime.keystore.rotate();
    t.clock.advance(publishDelayMs(t.config)); // the new key signs once published for a poll
    const after = await signupAndLogin(t.app);
    expect((await request(api).get('/x').set('Authorization', `Bearer ${after.accessToken}`)).status).toBe(200);
    expect(jwksHits).toBe(2);
  });

  it('answers 503, not 401, when the JWKS cannot be fetched', async () => {
    const api = createResourceServer({ jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json', issuer: t.config.jwt.issuer });
    const session = await signupAndLogin(t.app);
    const res = await request(api).get('/orders').set('Authorization', `Bearer ${session.accessToken}`);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('unavailable');
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('verifies with a shared secret in HMAC mode', async () => {
    const secret = 'h'.repeat(40);
    const hs = await createTestApp({ JWT_SECRET: secret }, { clock: fakeClock(Date.now()) });
    try {
      const api = express();
      api.get('/x', requireAuth({ secret, issuer: hs.config.jwt.issuer, audience: 'tessera-api' }), (req, res) => {
        res.json({ sub: req.auth!.sub });
      });
      api.use(problemHandler());
      const session = await signupAndLogin(hs.app);
      const res = await request(api).get('/x').set('Authorization', `Bearer ${session.accessToken}`);
      expect(res.status).toBe(200);
      const wrong = express();
      wrong.get('/x', requireAuth({ secret: 'w'.repeat(40), issuer: hs.config.jwt.issuer, audience: 'tessera-api' }), (_req, res) => {
        res.json({});
      });
      wrong.use(problemHandler());
      expect((await request(wrong).get('/x').set('Authorization', `Bearer ${session.accessToken}`)).status).toBe(401);
    } finally {
      await hs.close();
    }
  });
});

describe('the example resource server verifies every asymmetric algorithm through the JWKS', () => {
  for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256']) {
    it(alg, async () => {
      const t = await createTestApp({ JWT_ALGORITHM: alg }, { clock: fakeClock(Date.now()) });
      const auth = await listen(t.app);
      try {
        const api = createResourceServer({ jwksUrl: `${auth.url}/.well-known/jwks.json`, issuer: t.config.jwt.issuer });
        const session = await signupAndLogin(t.app);
        expect((await request(t.app).get('/api/protected').set('Authorization', `Bearer ${session.accessToken}`)).status).toBe(200);
        const res = await request(api).get('/orders').set('Authorization', `Bearer ${session.accessToken}`);
        expect(res.status).toBe(200);
        expect(res.body.for).toBe(session.userId);
      } finally {
        await auth.close();
        await t.close();
      }
    });
  }
});
