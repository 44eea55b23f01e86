import type { Express } from 'express';
import request from 'supertest';
import type { Runtime } from '../../src/runtime.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeClock, type FakeClock } from '../helpers/clock.ts';
import { hasRedisServer, startPrivateRedis } from '../helpers/redis-server.ts';
import { createTestApp, openSecondInstance, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

const available = hasRedisServer();
if (!available && process.env.REQUIRE_REDIS === '1') throw new Error('redis-server is required for the Redis tests');
if (!available) console.log('Redis tests skipped: install redis-server to run them');

const protectedOn = (app: Express, token: string) => request(app).get('/api/protected').set('Authorization', `Bearer ${token}`);

describe.runIf(available)('two instances sharing Redis', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let a: TestApp;
  let b: { app: Express; runtime: Runtime };
  let clock: FakeClock;

  beforeEach(async () => {
    redis = await startPrivateRedis();
    clock = fakeClock(Date.now());
    // The database poll is made slow here, so only Redis can carry a revocation in time.
    a = await createTestApp({ REDIS_URL: redis.url, REVOCATION_POLL_INTERVAL: '1h', RATE_LIMIT_ACCOUNT_MAX: '3' }, { clock });
    b = await openSecondInstance(a, clock);
  });
  afterEach(async () => {
    await b.runtime.close();
    await a.close();
    await redis.stop().catch(() => {});
  });

  it('a logout on A revokes the access token on B within one second, through pub/sub', async () => {
    const s = await signupAndLogin(a.app);
    expect((await protectedOn(b.app, s.accessToken)).status).toBe(200);
    await request(a.app).post('/api/auth/logout').send({ refreshToken: s.refreshToken }).expect(204);
    await vi.waitFor(async () => expect((await protectedOn(b.app, s.accessToken)).body.code).toBe('token_revoked'), {
      timeout: 1000,
      interval: 20,
    });
  });

  it('counts failed logins for one account across instances', async () => {
    const email = uniqueEmail();
    await request(a.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(201);
    await request(a.app).post('/api/auth/login').send({ email, password: 'wrong password 1' }).expect(401);
    await request(b.app).post('/api/auth/login').send({ email, password: 'wrong password 2' }).expect(401);
    await request(a.app).post('/api/auth/login').send({ email, password: 'wrong password 3' }).expect(401);
    const limited = await request(b.app).post('/api/auth/login').send({ email, password: 'wrong password 4' });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('a concurrent burst over both instances gets at most RATE_LIMIT_ACCOUNT_MAX password checks', async () => {
    const email = uniqueEmail();
    await request(a.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(201);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        request(i % 2 ? a.app : b.app)
          .post('/api/auth/login')
          .send({ email, password: `guess ${i}` }),
      ),
    );
    expect(results.filter((r) => r.status === 401)).toHaveLength(3);
    expect(results.filter((r) => r.status === 429)).toHaveLength(9);
  });

  it('keeps serving while Redis is down, reports it in /readyz, and catches up when it returns', async () => {
    const s1 = await signupAndLogin(a.app);
    const s2 = await signupAndLogin(a.app);
    await redis.stop();

    // Authentication, login and refresh still work.
    expect((await protectedOn(b.app, s1.accessToken)).status).toBe(200);
    const login = await request(b.app).post('/api/auth/login').send({ email: s1.email, password: PASSWORD });
    expect(login.status).toBe(200);
    const ready = await request(a.app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ database: true, redis: false });

    // A revocation made on A while Redis is down cannot be published...
    await request(a.app).post('/api/auth/logout').send({ refreshToken: s2.refreshToken }).expect(204);
    expect((await protectedOn(a.app, s2.accessToken)).body.code).toBe('token_revoked');

    // ...and takes effect on B once Redis is back (B re-reads the database on reconnect).
    await redis.start();
    await vi.waitFor(async () => expect((await protectedOn(b.app, s2.accessToken)).body.code).toBe('token_revoked'), {
      timeout: 5000,
      interval: 50,
    });
    await vi.waitFor(async () => expect((await request(a.app).get('/readyz')).status).toBe(200), { timeout: 5000, interval: 50 });
  });
});
