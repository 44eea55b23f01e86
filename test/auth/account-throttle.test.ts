import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryThrottle, createRedisThrottle, type AccountThrottle, type ThrottlePolicy } from '../../src/auth/account-throttle.ts';
import { fakeClock } from '../helpers/clock.ts';
import { hasRedisServer, startPrivateRedis } from '../helpers/redis-server.ts';

const redisAvailable = hasRedisServer();
if (!redisAvailable && process.env.REQUIRE_REDIS === '1') throw new Error('redis-server is required for the Redis tests');
if (!redisAvailable) console.log('Redis throttle tests skipped: install redis-server to run them');

/** Short windows, so the Redis suite's real waits stay well under a second in total. */
const POLICY: ThrottlePolicy = { max: 3, windowMs: 200 };
/** A little past a window: Redis expiries are real time. */
const PAST_WINDOW_MS = POLICY.windowMs + 30;

/** One throttle to test, and how to let time pass for it. */
interface Subject {
  throttle: AccountThrottle;
  wait(ms: number): Promise<void>;
}

interface Implementation {
  available: boolean;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  make(policy: ThrottlePolicy): Subject;
}

let redisServer: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
let redis: Redis | undefined;

const implementations: [string, Implementation][] = [
  [
    'memory throttle',
    {
      available: true,
      setUp: async () => {},
      tearDown: async () => {},
      make(policy) {
        const clock = fakeClock();
        return { throttle: createMemoryThrottle(policy, clock), wait: async (ms) => clock.advance(ms) };
      },
    },
  ],
  [
    'Redis throttle',
    {
      available: redisAvailable,
      async setUp() {
        redisServer = await startPrivateRedis();
        redis = new Redis(redisServer.url, { lazyConnect: true });
        await redis.connect();
      },
      async tearDown() {
        await redis?.quit();
        await redisServer?.stop();
      },
      make(policy) {
        // A key prefix of its own per test: no state carries over between tests.
        const prefix = `test:${randomBytes(6).toString('hex')}:`;
        return { throttle: createRedisThrottle(policy, redis!, prefix), wait: (ms) => sleep(ms) };
      },
    },
  ],
];

/** `n` attempts in a row; the lock durations they returned. */
async function attempts(throttle: AccountThrottle, key: string, n: number): Promise<number[]> {
  const results: number[] = [];
  for (let i = 0; i < n; i += 1) results.push(await throttle.attempt(key));
  return results;
}

for (const [name, impl] of implementations) {
  describe.runIf(impl.available)(name, () => {
    beforeAll(() => impl.setUp());
    afterAll(() => impl.tearDown());

    it('lets max attempts through, then locks the key for one window', async () => {
      const { throttle } = impl.make(POLICY);
      expect(await attempts(throttle, 'login:a@example.com', POLICY.max)).toEqual([0, 0, 0]);
      expect(await throttle.attempt('login:a@example.com')).toBe(POLICY.windowMs);
      // While locked, every attempt is refused with the time left, and does not extend the lock.
      const left = await throttle.attempt('login:a@example.com');
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(POLICY.windowMs);
    });

    it('forgets the count once its window has passed without a lock', async () => {
      const { throttle, wait } = impl.make(POLICY);
      expect(await attempts(throttle, 'k', POLICY.max - 1)).toEqual([0, 0]);
      await wait(PAST_WINDOW_MS);
      expect(await attempts(throttle, 'k', POLICY.max)).toEqual([0, 0, 0]);
      expect(await throttle.attempt('k')).toBe(POLICY.windowMs);
    });

    it('doubles the lock for each lock-out that follows (exponential back-off)', async () => {
      const { throttle, wait } = impl.make(POLICY);
      await attempts(throttle, 'k', POLICY.max);
      expect(await throttle.attempt('k')).toBe(POLICY.windowMs);
      await wait(PAST_WINDOW_MS);
      // The lock has passed: the count starts afresh...
      expect(await attempts(throttle, 'k', POLICY.max)).toEqual([0, 0, 0]);
      // ...but the strike is remembered.
      expect(await throttle.attempt('k')).toBe(2 * POLICY.windowMs);
      const left = await throttle.attempt('k');
      expect(left).toBeGreaterThan(POLICY.windowMs);
      expect(left).toBeLessThanOrEqual(2 * POLICY.windowMs);
    });

    it('succeed() clears the count, the lock and the strikes', async () => {
      const { throttle } = impl.make(POLICY);
      await attempts(throttle, 'k', POLICY.max - 1);
      await throttle.succeed('k');
      expect(await attempts(throttle, 'k', POLICY.max)).toEqual([0, 0, 0]);
      expect(await throttle.attempt('k')).toBe(POLICY.windowMs);

      await throttle.succeed('k');
      expect(await throttle.attempt('k')).toBe(0);
      await attempts(throttle, 'k', POLICY.max - 1);
      // Not doubled: the earlier strike is gone.
      expect(await throttle.attempt('k')).toBe(POLICY.windowMs);
    });

    it('keeps separate keys independent', async () => {
      const { throttle } = impl.make(POLICY);
      await attempts(throttle, 'login:a@example.com', POLICY.max + 1);
      expect(await throttle.attempt('login:a@example.com')).toBeGreaterThan(0);
      expect(await attempts(throttle, 'login:b@example.com', POLICY.max)).toEqual([0, 0, 0]);
      expect(await throttle.attempt('device:abc')).toBe(0);
      await throttle.succeed('login:b@example.com');
      expect(await throttle.attempt('login:a@example.com')).toBeGreaterThan(0);
    });
  });
}

describe('lock durations (memory throttle, fake clock)', () => {
  it('double per strike up to a day, and strikes are forgotten a day after the last lock-out', async () => {
    const policy = { max: 1, windowMs: 60 * 60_000 };
    const clock = fakeClock();
    const throttle = createMemoryThrottle(policy, clock);
    const lockOut = async () => {
      expect(await throttle.attempt('k')).toBe(0);
      return throttle.attempt('k');
    };
    const seen: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const duration = await lockOut();
      seen.push(duration);
      clock.advance(duration);
    }
    const hour = 3_600_000;
    expect(seen).toEqual([1, 2, 4, 8, 16, 24, 24].map((h) => h * hour));

    clock.advance(24 * hour);
    expect(await lockOut()).toBe(hour);
  });
});
