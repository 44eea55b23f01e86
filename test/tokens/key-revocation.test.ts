import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { createRevocations } from '../../src/revocation/revocations.ts';
import { openKeystore, type Runtime } from '../../src/runtime.ts';
import { publishDelayMs } from '../../src/tokens/key-publication.ts';
import { createSigningKeysService } from '../../src/tokens/signing-keys.service.ts';
import { cli } from '../helpers/cli.ts';
import { fakeClock } from '../helpers/clock.ts';
import { decodeHeader, decodePayload, expectBearerRejected, signEs256 } from '../helpers/jwt-forge.ts';
import { hasRedisServer, startPrivateRedis } from '../helpers/redis-server.ts';
import { expectDomainError, silentLogger } from '../helpers/services.ts';
import { createTestApp, openSecondInstance, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

/** The secrets the CLI helper runs with, so a `tessera` command on the test database reads the same keys. */
const CLI_SECRETS = { JWT_REFRESH_SECRET: 'r'.repeat(40), KEY_ENCRYPTION_SECRET: 'k'.repeat(40) };
/** The default KEY_POLL_INTERVAL's publish delay (61 s: tokens/key-publication.ts). */
const PUBLISH_DELAY_MS = publishDelayMs(30_000);
const VIA_CLI = { actorId: null, via: 'cli' as const, osUser: 'operator' };

const protectedOn = (app: Express, token: string) => request(app).get('/api/protected').set('Authorization', `Bearer ${token}`);

const jwksKids = async (app: Express): Promise<string[]> =>
  ((await request(app).get('/.well-known/jwks.json').expect(200)).body.keys as JsonWebKey[]).map((k) => k.kid as string);

/** A fresh token under `kid`, signed with its private key as a thief holding the key would make one. */
function forgedWith(token: string, signingKeyPem: string, nowMs: number): string {
  const nowS = Math.floor(nowMs / 1000);
  const payload = { ...decodePayload(token), iat: nowS, exp: nowS + 900, jti: 'forged-with-the-stolen-key' };
  return signEs256(decodeHeader(token), payload, createPrivateKey(signingKeyPem));
}

/** Issue 25, finding 12: a leaked signing key could not be removed faster than its tokens expire. */
describe('tessera keys revoke: a compromised signing key leaves every instance within a second', () => {
  let t: TestApp;
  let second: { app: Express; runtime: Runtime };
  beforeEach(async () => {
    // The clock starts at the real time: the command runs on the system clock, the instances on this one.
    t = await createTestApp(CLI_SECRETS, { clock: fakeClock(Date.now()) });
    second = await openSecondInstance(t);
  });
  afterEach(async () => {
    await second.runtime.close();
    await t.close();
  });

  it('an instance that hears of a revocation refuses the key at once and never stops signing while it re-reads the keys', async () => {
    const { keystore } = second.runtime;
    const revoked = keystore.active().kid;
    const hearing = keystore.forget([revoked]); // what the revocation poll or Redis calls
    // Before the re-read lands: the key verifies nothing, and logins still get a key to sign with
    // (dropping it first left none: every login in those milliseconds was a 500).
    expect(keystore.find(revoked)).toBeUndefined();
    expect(() => keystore.active()).not.toThrow();
    await hearing;
    expect(keystore.active().kid).not.toBe(revoked);
    expect(keystore.list().map((entry) => entry.kid)).not.toContain(revoked);
  });

  it('tokens it signed (cached or forged) get 401 on both instances, it leaves the JWKS, and a new key signs at once', async () => {
    const active = t.runtime.keystore.active();
    const before = [await signupAndLogin(t.app), await signupAndLogin(second.app)];
    for (const app of [t.app, second.app]) {
      for (const s of before) {
        expect(decodeHeader(s.accessToken).kid).toBe(active.kid);
        expect((await protectedOn(app, s.accessToken)).status).toBe(200); // now in each verification cache
      }
    }

    const c = cli({ DATABASE_URL: t.config.database.url, DATA_DIR: t.config.dataDir });
    expect(await c.run('keys', 'revoke', '--kid', active.kid)).toBe(0);
    const replacement = /; (\S+) signs from now on$/.exec(c.out.at(-1) ?? '')?.[1];
    expect(replacement, c.out.join('\n')).toBeDefined();
    expect(replacement).not.toBe(active.kid);

    // Neither instance ran the command: each learns of it from its revocation poll (every 500 ms).
    const forged = forgedWith(before[0]!.accessToken, active.signingKey as string, t.clock.now());
    await vi.waitFor(
      async () => {
        for (const app of [t.app, second.app]) {
          for (const token of [...before.map((s) => s.accessToken), forged]) expectBearerRejected(await protectedOn(app, token));
        }
      },
      { timeout: 1000, interval: 20 },
    );

    for (const app of [t.app, second.app]) expect(await jwksKids(app)).toEqual([replacement]);
    // New logins, and refreshes of the sessions that were live, sign with the new key on both instances.
    const after = [await signupAndLogin(t.app), await signupAndLogin(second.app)];
    const refreshed = await request(second.app).post('/api/auth/refresh').send({ refreshToken: before[0]!.refreshToken }).expect(200);
    const fresh = [...after.map((s) => s.accessToken), refreshed.body.accessToken as string];
    for (const token of fresh) {
      expect(decodeHeader(token).kid).toBe(replacement);
      for (const app of [t.app, second.app]) expect((await protectedOn(app, token)).status).toBe(200);
    }

    const events = await createAuditLog(t.runtime.database.db, t.clock, silentLogger()).list({ type: 'key.revoked', limit: 10 });
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toMatchObject({
      kid: active.kid,
      alg: 'ES256',
      replacedBy: replacement,
      via: 'cli',
      osUser: expect.any(String),
    });
    // The private key is kept nowhere.
    const rows = await t.runtime.database.db.selectFrom('signingKeys').select('kid').execute();
    expect(rows.map((r) => r.kid)).toEqual([replacement]);
  });

  it('refuses an unknown kid, and HMAC mode, saying why; nothing changes', async () => {
    const c = cli({ DATABASE_URL: t.config.database.url, DATA_DIR: t.config.dataDir });
    expect(await c.run('keys', 'revoke', '--kid', 'no-such-kid')).toBe(1);
    expect(c.err.at(-1)).toMatch(/no signing key has the kid no-such-kid.*tessera keys list/);
    const hmac = cli({ JWT_SECRET: 'h'.repeat(40) });
    expect(await hmac.run('keys', 'revoke', '--kid', t.runtime.keystore.active().kid)).toBe(1);
    expect(hmac.err.at(-1)).toMatch(/HMAC mode.*JWT_SECRET/);
    expect(await jwksKids(t.app)).toEqual([t.runtime.keystore.active().kid]);
    expect(await t.runtime.database.db.selectFrom('revocations').selectAll().execute()).toEqual([]);
  });
});

describe('keys revoke, key by key (the service the command calls)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  /** As the CLI builds it: its own keystore, and revocations that are written to the database only. */
  const commandService = async () => {
    const db = t.runtime.database.db;
    return createSigningKeysService({
      keystore: await openKeystore(t.config, db, t.clock),
      revocations: createRevocations({
        db,
        clock: t.clock,
        logger: silentLogger(),
        accessTtlSeconds: t.config.jwt.accessTtl,
        clockToleranceSeconds: t.config.jwt.clockTolerance,
        pollMs: t.config.revocationPollMs,
      }),
      audit: createAuditLog(db, t.clock, silentLogger()),
      clock: t.clock,
    });
  };

  it('a published key that has not signed yet: removed, and signing never stops (before or after its start)', async () => {
    const signing = t.runtime.keystore.active().kid;
    const pending = await t.runtime.keystore.rotate();
    const revoked = await (await commandService()).revoke(pending.kid, VIA_CLI);
    expect(revoked.replacement).toBeDefined();
    await t.runtime.revocations.poll();
    expect(await jwksKids(t.app)).not.toContain(pending.kid);

    const now = await signupAndLogin(t.app);
    expect([signing, revoked.replacement!.kid]).toContain(decodeHeader(now.accessToken).kid);
    // When the revoked key would have started signing, the old one retires as planned: the replacement signs.
    t.clock.advance(PUBLISH_DELAY_MS);
    const later = await signupAndLogin(t.app);
    expect(decodeHeader(later.accessToken).kid).toBe(revoked.replacement!.kid);
    expect((await protectedOn(t.app, later.accessToken)).status).toBe(200);
  });

  it('a retired key whose tokens are still live: removed without a replacement; the signing key stays', async () => {
    const old = t.runtime.keystore.active();
    const rotated = await t.runtime.keystore.rotate();
    t.clock.advance(PUBLISH_DELAY_MS - 1000);
    const late = await signupAndLogin(t.app); // signed by the old key just before it retires
    t.clock.advance(1000);
    expect(t.runtime.keystore.active().kid).toBe(rotated.kid);
    expect((await protectedOn(t.app, late.accessToken)).status).toBe(200);

    const revoked = await (await commandService()).revoke(old.kid, VIA_CLI);
    expect(revoked.replacement).toBeUndefined();
    await t.runtime.revocations.poll();
    expectBearerRejected(await protectedOn(t.app, late.accessToken));
    expect(await jwksKids(t.app)).toEqual([rotated.kid]);
    expect(decodeHeader((await signupAndLogin(t.app)).accessToken).kid).toBe(rotated.kid);
  });

  it('an unknown kid is not_found and writes nothing', async () => {
    await expectDomainError((await commandService()).revoke('no-such-kid', VIA_CLI), 'not_found');
    expect(await t.runtime.database.db.selectFrom('revocations').selectAll().execute()).toEqual([]);
    expect(await t.runtime.database.db.selectFrom('auditEvents').selectAll().where('type', '=', 'key.revoked').execute()).toEqual([]);
  });
});

const redisAvailable = hasRedisServer();

describe.runIf(redisAvailable)('keys revoke with Redis', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let a: TestApp;
  let b: { app: Express; runtime: Runtime };
  beforeEach(async () => {
    redis = await startPrivateRedis();
    // The database poll is made slow here, so only Redis can carry the revocation in time.
    a = await createTestApp({ REDIS_URL: redis.url, REVOCATION_POLL_INTERVAL: '1h' }, { clock: fakeClock(Date.now()) });
    b = await openSecondInstance(a);
  });
  afterEach(async () => {
    await b.runtime.close();
    await a.close();
    await redis.stop().catch(() => {});
  });

  it('a key revoked on instance A is refused on B within a second, through pub/sub, and B signs with the new key', async () => {
    const kid = a.runtime.keystore.active().kid;
    const s = await signupAndLogin(b.app);
    expect((await protectedOn(b.app, s.accessToken)).status).toBe(200);
    const service = createSigningKeysService({
      keystore: a.runtime.keystore,
      revocations: a.runtime.revocations,
      audit: createAuditLog(a.runtime.database.db, a.clock, silentLogger()),
      clock: a.clock,
    });
    const revoked = await service.revoke(kid, { actorId: 'an-admin', via: 'api' });
    expectBearerRejected(await protectedOn(a.app, s.accessToken));
    await vi.waitFor(async () => expectBearerRejected(await protectedOn(b.app, s.accessToken)), { timeout: 1000, interval: 20 });
    await vi.waitFor(async () => expect(await jwksKids(b.app)).toEqual([revoked.replacement!.kid]), { timeout: 1000, interval: 20 });
    const fromB = await signupAndLogin(b.app);
    expect(decodeHeader(fromB.accessToken).kid).toBe(revoked.replacement!.kid);
    expect((await protectedOn(a.app, fromB.accessToken)).status).toBe(200);
  });
});
