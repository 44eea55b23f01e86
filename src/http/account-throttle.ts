import type { Redis } from 'ioredis';
import type { Clock } from '../lib/clock.ts';

/**
 * Failed attempts against one account (a login email, a user's password change), wherever
 * they come from: spreading guesses over many addresses does not help. After `max` failures
 * within `windowMs` the account is locked for one window; each further lock-out doubles
 * (exponential back-off), up to a day. Success clears the count, and strikes decay after a
 * day without a lock-out, so the owner is never locked out for good.
 */
export interface AccountThrottle {
  /** Milliseconds the key is still locked for, or 0. */
  lockedFor(key: string): Promise<number>;
  /** Records a failure; returns the lock that starts now (ms), or 0. */
  fail(key: string): Promise<number>;
  succeed(key: string): Promise<void>;
}

export interface ThrottlePolicy {
  max: number;
  windowMs: number;
}

const MAX_LOCK_MS = 24 * 3600 * 1000;
const STRIKE_MEMORY_MS = 24 * 3600 * 1000;

export const lockDuration = (policy: ThrottlePolicy, strikes: number): number =>
  Math.min(policy.windowMs * 2 ** Math.max(0, strikes - 1), MAX_LOCK_MS);

/** Most keys a process tracks; beyond it the oldest failure counts are forgotten first. */
const MAX_TRACKED = 100_000;

/** Per-process state on the injected clock; bounded by pruning expired entries and by MAX_TRACKED. */
export function createMemoryThrottle(policy: ThrottlePolicy, clock: Clock): AccountThrottle {
  const failures = new Map<string, { count: number; until: number }>();
  const locks = new Map<string, { until: number; strikes: number; forgetAt: number }>();
  let nextPrune = 0;
  const prune = (now: number) => {
    if (now < nextPrune) return;
    nextPrune = now + 60_000;
    for (const [k, v] of failures) if (v.until <= now) failures.delete(k);
    for (const [k, v] of locks) if (v.forgetAt <= now) locks.delete(k);
  };
  return {
    async lockedFor(key) {
      const now = clock.now();
      prune(now);
      const lock = locks.get(key);
      return lock && lock.until > now ? lock.until - now : 0;
    },
    async fail(key) {
      const now = clock.now();
      const current = failures.get(key);
      const entry = current && current.until > now ? current : { count: 0, until: now + policy.windowMs };
      entry.count += 1;
      failures.delete(key);
      failures.set(key, entry);
      if (failures.size > MAX_TRACKED) failures.delete(failures.keys().next().value!);
      if (entry.count < policy.max) return 0;
      failures.delete(key);
      const previous = locks.get(key);
      const strikes = (previous && previous.forgetAt > now ? previous.strikes : 0) + 1;
      const duration = lockDuration(policy, strikes);
      locks.set(key, { until: now + duration, strikes, forgetAt: now + duration + STRIKE_MEMORY_MS });
      return duration;
    },
    async succeed(key) {
      failures.delete(key);
      locks.delete(key);
    },
  };
}

/** The same policy in Redis, shared by every instance (Redis keeps time). */
export function createRedisThrottle(policy: ThrottlePolicy, redis: Redis, prefix = 'tessera:throttle:'): AccountThrottle {
  const keys = (key: string) => ({ fails: `${prefix}f:${key}`, lock: `${prefix}l:${key}`, strikes: `${prefix}s:${key}` });
  return {
    async lockedFor(key) {
      const ttl = await redis.pttl(keys(key).lock);
      return ttl > 0 ? ttl : 0;
    },
    async fail(key) {
      const k = keys(key);
      const result = await redis.multi().incr(k.fails).pexpire(k.fails, policy.windowMs, 'NX').exec();
      const count = Number(result?.[0]?.[1] ?? 0);
      if (count < policy.max) return 0;
      const strikesResult = await redis.multi().del(k.fails).incr(k.strikes).exec();
      const strikes = Number(strikesResult?.[1]?.[1] ?? 1);
      const duration = lockDuration(policy, strikes);
      await redis.multi().set(k.lock, '1', 'PX', duration).pexpire(k.strikes, duration + STRIKE_MEMORY_MS).exec();
      return duration;
    },
    async succeed(key) {
      const k = keys(key);
      await redis.del(k.fails, k.lock, k.strikes);
    },
  };
}
