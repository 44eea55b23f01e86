import type { Express } from 'express';
import express from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problemHandler, requireAuth } from '../../src/express/index.ts';
import type { Runtime } from '../../src/runtime.ts';
import { JWKS_READ_THROUGH_MS, jwksMaxAgeSeconds, publishDelayMs, UNKNOWN_KID_COOLDOWN_MS } from '../../src/tokens/key-publication.ts';
import { fakeClock } from '../helpers/clock.ts';
import { listen, type Listening } from '../helpers/listen.ts';
import { createTestApp, openSecondInstance, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

/**
 * Issue 26, fault 4: a key rotation refused good tokens for ~26 s. Instance B listed a key
 * published on instance A only at its next key poll, and a resource service that met one token
 * under an unknown kid in that window refetched, missed the key and then refused every token for
 * its whole 30 s cooldown, those of the new key included once it signed.
 *
 * Two instances on one database; the resource service (requireAuth, default cooldown) fetches the
 * JWKS from B over real HTTP, and reads the same test clock for token times. Its fetch limits run
 * on real time, so each case takes a second or two, never the 30 s cooldown.
 */
describe('key publication reaches resource services before the key signs (issue 26, fault 4)', () => {
  let t: TestApp;
  let b: { app: Express; runtime: Runtime };
  let jwksB: Listening;
  let jwksHits: number;
  let service: Express;

  beforeEach(async () => {
    t = await createTestApp({}, { clock: fakeClock(Date.now()) });
    b = await openSecondInstance(t);
    jwksHits = 0;
    const counting = express();
    counting.use('/.well-known/jwks.json', (_req, _res, next) => {
      jwksHits += 1;
      next();
    });
    counting.use(b.app);
    jwksB = await listen(counting);
    service = express();
    service.get(
      '/orders',
      requireAuth({ jwksUrl: `${jwksB.url}/.well-known/jwks.json`, issuer: t.config.jwt.issuer, audience: 'tessera-api', clock: t.clock }),
      (req, res) => {
        res.json({ for: req.auth!.sub });
      },
    );
    service.use(problemHandler());
  });
  afterEach(async () => {
    await jwksB.close();
    await b.runtime.close();
    await t.close();
  });

  const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
  /** The token with another `kid` in its header (its signature no longer matches, whatever the key). */
  const withKid = (token: string, kid: string) => {
    const [header, payload, signature] = token.split('.');
    const decoded = JSON.parse(Buffer.from(header!, 'base64url').toString()) as Record<string, unknown>;
    return `${Buffer.from(JSON.stringify({ ...decoded, kid })).toString('base64url')}.${payload}.${signature}`;
  };
  const call = (token: string) => request(service).get('/orders').set('Authorization', `Bearer ${token}`);
  const jwksKids = async (url: string) =>
    ((await request(url).get('/.well-known/jwks.json')).body as { keys: { kid: string }[] }).keys.map((k) => k.kid);

  it('a key published on A is in B’s JWKS within the read-through bound, long before B’s key poll', async () => {
    const rotated = await t.runtime.keystore.rotate();
    t.clock.advance(JWKS_READ_THROUGH_MS);
    expect(await jwksKids(jwksB.url)).toContain(rotated.kid);
  });

  it('a token under the new kid seen early does not hold up the key once it signs', async () => {
    const before = await signupAndLogin(t.app);
    expect((await call(before.accessToken)).status).toBe(200);

    const rotated = await t.runtime.keystore.rotate();
    t.clock.advance(JWKS_READ_THROUGH_MS); // published a second ago
    // Someone presents a token naming the new kid before it signs (forged: the key is public).
    const early = await call(withKid(before.accessToken, rotated.kid));
    expect(early.status).toBe(401);
    expect(early.body.code).toBe('invalid_token');

    t.clock.set(rotated.activatesAt);
    const after = await signupAndLogin(t.app);
    expect(kidOf(after.accessToken)).toBe(rotated.kid);
    const started = performance.now();
    const res = await call(after.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.for).toBe(after.userId);
    expect(performance.now() - started).toBeLessThan(5000); // a fetch gap at most, far from the 30 s cooldown
  });

  it('an unknown kid does not put a later kid in cooldown, and a flood of kids costs one fetch a second', async () => {
    const before = await signupAndLogin(t.app);
    expect((await call(before.accessToken)).status).toBe(200);
    // A made-up kid: the service refetches, does not find it, and refuses it.
    expect((await call(withKid(before.accessToken, 'made-up'))).status).toBe(401);
    const afterGarbage = jwksHits;

    const rotated = await t.runtime.keystore.rotate();
    t.clock.set(rotated.activatesAt);
    const after = await signupAndLogin(t.app);
    expect(kidOf(after.accessToken)).toBe(rotated.kid);
    const started = performance.now();
    const res = await call(after.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(performance.now() - started).toBeLessThan(5000); // a fetch gap at most, far from the 30 s cooldown
    expect(afterGarbage).toBe(2); // the first token's fetch, then the made-up kid's
    expect(jwksHits).toBe(afterGarbage + 1);

    // The made-up kid again: refused from memory, within its cooldown.
    expect((await call(withKid(before.accessToken, 'made-up'))).status).toBe(401);
    expect(jwksHits).toBe(afterGarbage + 1);
    // Fifty new kids at once share one fetch.
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(withKid(before.accessToken, `flood-${i}`)).then((r) => r.status)),
    );
    expect(statuses.every((status) => status === 401)).toBe(true);
    expect(jwksHits).toBeLessThanOrEqual(afterGarbage + 2);
    // Tokens of known keys never waited for any of it.
    expect((await call(after.accessToken)).status).toBe(200);
  });
});

describe('a key signs only once every JWKS cache and the library cooldown can have seen it', () => {
  it('the delay a rotation gets covers the read-through bound, the max-age served and the default cooldown', async () => {
    const t = await createTestApp();
    try {
      const jwks = await request(t.app).get('/.well-known/jwks.json').expect(200);
      const maxAgeS = Number(/\bmax-age=(\d+)\b/.exec(String(jwks.headers['cache-control']))?.[1]);
      expect(maxAgeS).toBe(30);
      const rotated = await t.runtime.keystore.rotate();
      const delay = rotated.activatesAt - t.clock.now();
      expect(delay).toBe(publishDelayMs(t.config.keyPollMs));
      expect(delay).toBeGreaterThanOrEqual(JWKS_READ_THROUGH_MS + maxAgeS * 1000 + UNKNOWN_KID_COOLDOWN_MS);
      expect(delay).toBe(61_000);
    } finally {
      await t.close();
    }
  });

  it.each([1_000, 5_000, 30_000, 120_000, 600_000])('KEY_POLL_INTERVAL %d ms: covered, and one key poll too', (keyPollMs) => {
    const delay = publishDelayMs(keyPollMs);
    expect(delay).toBeGreaterThanOrEqual(JWKS_READ_THROUGH_MS + jwksMaxAgeSeconds(keyPollMs) * 1000 + UNKNOWN_KID_COOLDOWN_MS);
    expect(delay).toBeGreaterThan(keyPollMs);
  });
});
