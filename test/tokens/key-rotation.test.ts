import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { publishDelayMs } from '../../src/tokens/key-publication.ts';
import { createTestApp, openSecondInstance, signupAndLogin, type TestApp } from '../helpers/test-app.ts';
import { decodeHeader, decodePayload, expectBearerRejected, signEs256 } from '../helpers/jwt-forge.ts';

const ACCESS_TTL_S = 900;
const LEEWAY_S = 5;
// Access lifetime + leeway + one key poll (KEY_POLL_INTERVAL, 30 s): other instances may
// sign with the old key until their next poll. The +1 s puts us past the edge.
const KEY_POLL_MS = 30_000;
const RETIRE_WINDOW_MS = (ACCESS_TTL_S + LEEWAY_S + 1) * 1000 + KEY_POLL_MS;
// A rotated key is published before it signs for one key poll (+1 s), or for the JWKS read-through
// bound + its max-age + the library's unknown-kid cooldown if longer: 61 s (tokens/key-publication.ts).
const PUBLISH_DELAY_MS = publishDelayMs(KEY_POLL_MS);

const jwksKids = async (app: Express): Promise<string[]> => {
  const res = await request(app).get('/.well-known/jwks.json');
  expect(res.status).toBe(200);
  return (res.body.keys as JsonWebKey[]).map((k) => k.kid as string);
};

const protectedWith = (app: Express, token: string) => request(app).get('/api/protected').set('Authorization', `Bearer ${token}`);

describe('signing-key rotation (ES256)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('rotate() signs new logins with a new kid; old tokens keep working; both kids are published', async () => {
    const oldKid = t.runtime.keystore.active().kid;
    const before = await signupAndLogin(t.app);
    expect(decodeHeader(before.accessToken).kid).toBe(oldKid);

    const rotated = await t.runtime.keystore.rotate();
    expect(rotated.kid).not.toBe(oldKid);
    // Published at once, signing only after the publish delay.
    expect((await jwksKids(t.app)).sort()).toEqual([oldKid, rotated.kid].sort());
    expect(t.runtime.keystore.active().kid).toBe(oldKid);
    t.clock.advance(PUBLISH_DELAY_MS);
    expect(t.runtime.keystore.active().kid).toBe(rotated.kid);

    const after = await signupAndLogin(t.app);
    expect(decodeHeader(after.accessToken).kid).toBe(rotated.kid);

    expect((await protectedWith(t.app, before.accessToken)).status).toBe(200);
    expect((await protectedWith(t.app, after.accessToken)).status).toBe(200);
    expect((await jwksKids(t.app)).sort()).toEqual([oldKid, rotated.kid].sort());
  });

  it('a retired key leaves the JWKS and stops verifying once its tokens can no longer be live', async () => {
    const oldEntry = t.runtime.keystore.active();
    const oldKey = createPrivateKey(oldEntry.signingKey as string);
    const rotated = await t.runtime.keystore.rotate();
    // The old key signs until the new one takes over, and retires then: its window counts from there.
    t.clock.advance(PUBLISH_DELAY_MS - 1000);
    const before = await signupAndLogin(t.app);
    expect(decodeHeader(before.accessToken).kid).toBe(oldEntry.kid);
    t.clock.advance(1000);

    // Until its tokens expire, the retired key still verifies them...
    t.clock.advance(ACCESS_TTL_S * 1000 - 10_000);
    expect((await protectedWith(t.app, before.accessToken)).status).toBe(200);
    // ...and it stays published to the end of the window.
    t.clock.advance(RETIRE_WINDOW_MS - 2000 - (ACCESS_TTL_S * 1000 - 10_000));
    expect(await jwksKids(t.app)).toContain(oldEntry.kid);

    t.clock.advance(2000);
    expect(await jwksKids(t.app)).toEqual([rotated.kid]);
    expect(t.runtime.keystore.find(oldEntry.kid)).toBeUndefined();
    const oldToken = await protectedWith(t.app, before.accessToken);
    expect(oldToken.status).toBe(401);
    expect(oldToken.headers['www-authenticate']).toContain('error="invalid_token"');

    // A fresh, otherwise valid token under the retired key (as a stolen key would make) is refused too.
    const nowS = Math.floor(t.clock.now() / 1000);
    const fresh = signEs256(
      decodeHeader(before.accessToken),
      { ...decodePayload(before.accessToken), iat: nowS, exp: nowS + ACCESS_TTL_S, jti: 'fresh-under-old-key' },
      oldKey,
    );
    expectBearerRejected(await protectedWith(t.app, fresh));

    // The new key keeps working.
    const after = await signupAndLogin(t.app);
    expect(decodeHeader(after.accessToken).kid).toBe(rotated.kid);
    expect((await protectedWith(t.app, after.accessToken)).status).toBe(200);
  });

  it('stores private keys encrypted, never as PEM or JWK', async () => {
    await t.runtime.keystore.rotate();
    const rows = await t.runtime.database.db.selectFrom('signingKeys').selectAll().execute();
    expect(rows.length).toBe(2);
    const activePem = t.runtime.keystore.active().signingKey as string;
    const der = createPrivateKey(activePem).export({ format: 'der', type: 'pkcs8' });
    for (const row of rows) {
      expect(row.privateKey).not.toContain('PRIVATE KEY');
      expect(row.privateKey).not.toContain('"d"');
      expect(row.privateKey).not.toContain(der.toString('base64'));
      expect(row.privateKey).not.toContain(der.toString('base64url'));
      expect(row.publicJwk).not.toContain('"d"');
    }
  });
});

describe('a second instance on the same database', () => {
  let t: TestApp;
  let second: { app: Express; runtime: Runtime } | undefined;

  beforeEach(async () => {
    t = await createTestApp();
    // Built exactly as test/helpers/test-app.ts does, on the same config (same file, same secrets) and clock.
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    const logger = createLogger(t.config.logLevel, sink);
    const runtime = await openRuntime(t.config, t.clock, logger);
    second = { app: createApp({ config: t.config, ...runtime, clock: t.clock, logger }), runtime };
  });
  afterEach(async () => {
    await second?.runtime.close();
    second = undefined;
    await t.close();
  });

  it('shares the signing key: tokens from one instance verify on the other', async () => {
    expect(second!.runtime.keystore.active().kid).toBe(t.runtime.keystore.active().kid);
    const fromFirst = await signupAndLogin(t.app);
    expect((await protectedWith(second!.app, fromFirst.accessToken)).status).toBe(200);
    const fromSecond = await signupAndLogin(second!.app);
    expect((await protectedWith(t.app, fromSecond.accessToken)).status).toBe(200);
  });

  it('after a rotation on the first instance, the second accepts tokens under the new kid', async () => {
    const oldKid = t.runtime.keystore.active().kid;
    const before = await signupAndLogin(t.app);
    const rotated = await t.runtime.keystore.rotate();
    // The second instance has had no key poll (its timer runs every 30 s of real time); the
    // first token under the new kid makes it re-read the keys.
    t.clock.advance(PUBLISH_DELAY_MS);

    const after = await signupAndLogin(t.app);
    expect(decodeHeader(after.accessToken).kid).toBe(rotated.kid);
    expect((await protectedWith(second!.app, after.accessToken)).status).toBe(200);
    expect((await protectedWith(second!.app, before.accessToken)).status).toBe(200);
    expect((await jwksKids(second!.app)).sort()).toEqual([oldKid, rotated.kid].sort());
  });
});

describe('a second instance picks up a rotation by itself', () => {
  let t: TestApp;
  let second: { app: Express; runtime: Runtime } | undefined;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await second?.runtime.close();
    second = undefined;
    await t.close();
  });

  it('its own key poll loads the new key, and it signs with it from its start, so its tokens outlive the retired key on every instance', async () => {
    // Fake timers as well as the fake clock, so that either a timer-driven or a clock-driven key poll can run.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    const logger = createLogger(t.config.logLevel, sink);
    const runtime = await openRuntime(t.config, t.clock, logger);
    second = { app: createApp({ config: t.config, ...runtime, clock: t.clock, logger }), runtime };
    const oldKid = t.runtime.keystore.active().kid;

    const rotated = await t.runtime.keystore.rotate();
    const pollMs = t.config.keyPollMs + 1000;
    await vi.advanceTimersByTimeAsync(pollMs);
    // The poll's query is real I/O on PostgreSQL: wait for it to land rather than assume it already has.
    // (Asked before any JWKS request, whose read-through would load the key too.)
    await vi.waitFor(() => expect(second!.runtime.keystore.find(rotated.kid)?.kid).toBe(rotated.kid));
    t.clock.advance(PUBLISH_DELAY_MS);
    expect((await jwksKids(second.app)).sort()).toEqual([oldKid, rotated.kid].sort());
    const fromSecond = await signupAndLogin(second.app);
    expect(decodeHeader(fromSecond.accessToken).kid).toBe(rotated.kid);

    // Once the retired key's window is over, a token just minted by the second instance must still work on the first.
    t.clock.advance(RETIRE_WINDOW_MS);
    await vi.advanceTimersByTimeAsync(pollMs);
    await vi.waitFor(async () => expect(await jwksKids(second!.app)).toEqual([rotated.kid]));
    const late = await signupAndLogin(second.app);
    expect((await protectedWith(t.app, late.accessToken)).status).toBe(200);
  });
});

describe('publish before signing, across instances', () => {
  let t: TestApp;
  let second: Awaited<ReturnType<typeof openSecondInstance>> | undefined;
  beforeEach(async () => {
    t = await createTestApp();
    second = await openSecondInstance(t);
  });
  afterEach(async () => {
    await second?.runtime.close();
    second = undefined;
    await t.close();
  });

  it('a rotated key is in every JWKS before any token carries it, and every instance switches at the same moment', async () => {
    const b = second!;
    const oldKid = t.runtime.keystore.active().kid;
    const rotated = await t.runtime.keystore.rotate();

    // Right after the rotation both instances still sign with the old key...
    expect(decodeHeader((await signupAndLogin(t.app)).accessToken).kid).toBe(oldKid);
    expect(decodeHeader((await signupAndLogin(b.app)).accessToken).kid).toBe(oldKid);
    // ...while the second instance's next routine key poll publishes the new one.
    await b.runtime.keystore.reload();
    expect((await jwksKids(b.app)).sort()).toEqual([oldKid, rotated.kid].sort());

    t.clock.advance(PUBLISH_DELAY_MS);
    const fromFirst = await signupAndLogin(t.app);
    const fromSecond = await signupAndLogin(b.app);
    expect(decodeHeader(fromFirst.accessToken).kid).toBe(rotated.kid);
    expect(decodeHeader(fromSecond.accessToken).kid).toBe(rotated.kid);
    expect((await protectedWith(b.app, fromFirst.accessToken)).status).toBe(200);
    expect((await protectedWith(t.app, fromSecond.accessToken)).status).toBe(200);
  });

  it('a routine key poll does not start the unknown-kid cooldown (a new kid right after it is re-read)', async () => {
    const keystore = second!.runtime.keystore;
    await keystore.reload(); // the routine poll
    expect(await keystore.reload({ onlyIfCool: true })).toBe(true); // an unknown kid a moment later: re-read
    // A flood of unknown kids costs at most one read per cooldown (1 s).
    expect(await keystore.reload({ onlyIfCool: true })).toBe(false);
    t.clock.advance(1000);
    expect(await keystore.reload({ onlyIfCool: true })).toBe(true);
  });
});
