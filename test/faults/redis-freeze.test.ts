import type { Express } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.ts';
import { READY_CHECK_TIMEOUT_MS } from '../../src/http/ops.routes.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { SOCKET_TIMEOUT_MS, SUBSCRIBER_PING_MS } from '../../src/redis/redis-clients.ts';
import type { Runtime } from '../../src/runtime.ts';
import { fakeClock } from '../helpers/clock.ts';
import { hasRedisServer, startPrivateRedis } from '../helpers/redis-server.ts';
import { createTestApp, openSecondInstance, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

const available = hasRedisServer();
if (!available && process.env.REQUIRE_REDIS === '1') throw new Error('redis-server is required for the Redis tests');
if (!available) console.log('Redis freeze tests skipped: install redis-server to run them');

/**
 * Issue 26, fault 2: a Redis that stops answering without closing its connections (SIGSTOP: a
 * stuck primary, a partition that drops packets) held every /api/auth request and /readyz for
 * the whole freeze. Each request here must answer within BOUND_MS while Redis is frozen.
 */
const BOUND_MS = 3000;

const protectedOn = (app: Express, token: string) => request(app).get('/api/protected').set('Authorization', `Bearer ${token}`);

/** Runs a request with a deadline, so a hang fails the test with its name instead of the test timeout. */
async function timed(name: string, run: () => request.Test) {
  const started = performance.now();
  const response = await run()
    .timeout(BOUND_MS)
    .catch((error: Error) => {
      throw new Error(`${name}: no answer within ${BOUND_MS} ms while Redis is frozen (${error.message})`);
    });
  return { response, ms: performance.now() - started };
}

/** Login, signup, refresh and /readyz, all at once, each within the bound. */
async function authUnderFreeze(app: Express, session: { email: string; refreshToken: string }) {
  const [login, signup, refresh, ready] = await Promise.all([
    timed('login', () => request(app).post('/api/auth/login').send({ email: session.email, password: PASSWORD })),
    timed('signup', () =>
      request(app)
        .post('/api/auth/signup')
        .send({ email: uniqueEmail('frozen'), password: PASSWORD }),
    ),
    timed('refresh', () => request(app).post('/api/auth/refresh').send({ refreshToken: session.refreshToken })),
    timed('readyz', () => request(app).get('/readyz')),
  ]);
  // The limits fail open, as with Redis down: the requests are served, not refused.
  expect(login.response.status).toBe(200);
  expect(signup.response.status).toBe(201);
  expect(refresh.response.status).toBe(200);
  expect(ready.response.status).toBe(503);
  expect(ready.response.body.checks).toEqual({ database: true, redis: false });
  return { login, signup, refresh, ready, refreshToken: refresh.response.body.refreshToken as string };
}

describe.runIf(available)('a frozen Redis (SIGSTOP)', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let a: TestApp | undefined;
  let b: { app: Express; runtime: Runtime } | undefined;

  beforeEach(async () => {
    redis = await startPrivateRedis();
  });
  afterEach(async () => {
    // stop() kills a frozen redis-server too; the apps close without waiting for it.
    await redis.stop().catch(() => {});
    await b?.runtime.close();
    await a?.close();
    a = undefined;
    b = undefined;
  });

  it('slows no auth request or /readyz beyond the bound, and everything works again after SIGCONT', async () => {
    const clock = fakeClock(Date.now());
    // The database poll is made slow, so only pub/sub can carry a revocation to B in time.
    a = await createTestApp({ REDIS_URL: redis.url, REVOCATION_POLL_INTERVAL: '1h', RATE_LIMIT_ACCOUNT_MAX: '2' }, { clock });
    b = await openSecondInstance(a, clock);
    const session = await signupAndLogin(a.app);
    const victim = await signupAndLogin(a.app);
    const guessed = await signupAndLogin(a.app);
    const wrongLogin = (app: Express) => request(app).post('/api/auth/login').send({ email: guessed.email, password: 'a wrong guess' });

    redis.freeze();
    const frozenAt = performance.now();
    const [first, failed] = await Promise.all([authUnderFreeze(a.app, session), timed('failed login', () => wrongLogin(a!.app))]);
    expect(failed.response.status).toBe(401);
    // Once a command has gone unanswered the connection is dropped, and the next requests no
    // longer wait for Redis at all.
    const second = await authUnderFreeze(a.app, { email: session.email, refreshToken: first.refreshToken });
    for (const r of [second.login, second.signup, second.refresh, second.ready]) expect(r.ms).toBeLessThan(SOCKET_TIMEOUT_MS);
    // A logout while frozen is answered too; its broadcast cannot go out.
    await timed('logout', () => request(a!.app).post('/api/auth/logout').send({ refreshToken: victim.refreshToken }));
    expect((await protectedOn(a.app, victim.accessToken)).body.code).toBe('token_revoked');
    // Long enough for B's subscriber to find out (its PING goes unanswered), as a real outage would be.
    await sleep(SUBSCRIBER_PING_MS + SOCKET_TIMEOUT_MS + 300 - (performance.now() - frozenAt));

    await redis.thaw();
    await vi.waitFor(async () => expect((await request(a!.app).get('/readyz')).status).toBe(200), { timeout: 5000, interval: 50 });
    // B's subscriber is back: the logout made during the freeze reaches it (re-read on reconnection)...
    await vi.waitFor(async () => expect((await protectedOn(b!.app, victim.accessToken)).body.code).toBe('token_revoked'), {
      timeout: 5000,
      interval: 50,
    });
    // ...and so does a new one, through pub/sub.
    const later = await signupAndLogin(a.app);
    expect((await protectedOn(b.app, later.accessToken)).status).toBe(200);
    await request(a.app).post('/api/auth/logout').send({ refreshToken: later.refreshToken }).expect(204);
    await vi.waitFor(async () => expect((await protectedOn(b!.app, later.accessToken)).body.code).toBe('token_revoked'), {
      timeout: 1000,
      interval: 20,
    });
    // The failed login made during the freeze counts once, not again when the connection returns
    // (its attempt was cut off, not forgotten: Redis runs it on SIGCONT). With two allowed, a
    // second failure is still a 401; a replayed attempt would make it the third, and lock the account.
    expect((await wrongLogin(b.app)).status).toBe(401);
    expect((await wrongLogin(b.app)).status).toBe(429);
    // The limits count in Redis again: a request on B spends from the budget A reported.
    const remaining = (r: request.Response) => Number(/remaining=(\d+)/.exec(String(r.headers['ratelimit']))?.[1]);
    const onA = await request(a.app).get('/api/auth/me').set('Authorization', `Bearer ${session.accessToken}`);
    const onB = await request(b.app).get('/api/auth/me').set('Authorization', `Bearer ${session.accessToken}`);
    expect(remaining(onB)).toBe(remaining(onA) - 1);
  });

  it('does not hold the start-up, and the instance joins Redis once it answers', async () => {
    redis.freeze();
    const started = performance.now();
    a = await createTestApp({ REDIS_URL: redis.url, REVOCATION_POLL_INTERVAL: '1h' });
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    const session = await signupAndLogin(a.app);
    await authUnderFreeze(a.app, session);

    await redis.thaw();
    await vi.waitFor(async () => expect((await request(a!.app).get('/readyz')).status).toBe(200), { timeout: 5000, interval: 50 });
    b = await openSecondInstance(a);
    const later = await signupAndLogin(b.app);
    await request(b.app).post('/api/auth/logout').send({ refreshToken: later.refreshToken }).expect(204);
    await vi.waitFor(async () => expect((await protectedOn(a!.app, later.accessToken)).body.code).toBe('token_revoked'), {
      timeout: 1000,
      interval: 20,
    });
  });
});

describe('/readyz with a dependency that does not answer', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('counts it down after READY_CHECK_TIMEOUT_MS and answers 503, naming it', async () => {
    t = await createTestApp();
    // A check that never settles, as a frozen database's `select 1` would not.
    const app = createApp({
      config: t.config,
      ...t.runtime,
      readiness: { frozen: () => new Promise<boolean>(() => {}) },
      clock: t.clock,
      logger: createLogger('silent'),
    });
    const started = performance.now();
    const ready = await request(app)
      .get('/readyz')
      .timeout(READY_CHECK_TIMEOUT_MS + 1000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(READY_CHECK_TIMEOUT_MS - 50);
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'unavailable', checks: { database: true, frozen: false } });
  });
});
