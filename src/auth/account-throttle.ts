import type { Redis } from 'ioredis';
import type { Clock } from '../lib/clock.ts';

/**
 * Attempts against one account (a login email, a user's password change), wherever they come
 * from: spreading guesses over many addresses does not help. Each attempt is counted BEFORE
 * the password is checked, so a burst of concurrent requests cannot all slip past the limit
 * while the slow hashes run. After `max` attempts within `windowMs` without a success the
 * account is locked for one window; each further lock-out doubles (exponential back-off), up
 * to a day. Success clears the count, and strikes decay a day after the last lock-out, so the
 * owner is never locked out for good.
 */
export interface AccountThrottle {
  /** Counts an attempt. Returns 0 if it may proceed, else how long (ms) the account is locked. */
  attempt(key: string): Promise<number>;
  /** The password was right: forget the count and the strikes. */
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

/** Most keys a process tracks; beyond it the oldest counts are forgotten first. */
const MAX_TRACKED = 100_000;

/** Per-process state on the injected clock; bounded by pruning expired entries and by MAX_TRACKED. */
export function createMemoryThrottle(policy: ThrottlePolicy, clock: Clock): AccountThrottle {
  const attempts = new Map<string, { count: number; until: number }>();
  const locks = new Map<string, { until: number; strikes: number; forgetAt: number }>();
  let nextPrune = 0;
  const prune = (now: number) => {
    if (now < nextPrune) return;
    nextPrune = now + 60_000;
    for (const [k, v] of attempts) if (v.until <= now) attempts.delete(k);
    for (const [k, v] of locks) if (v.forgetAt <= now) locks.delete(k);
  };
  return {
    async attempt(key) {
      const now = clock.now();
      prune(now);
      const lock = locks.get(key);
      if (lock && lock.until > now) return lock.until - now;
      const current = attempts.get(key);
      const entry = current && current.until > now ? current : { count: 0, until: now + policy.windowMs };
      entry.count += 1;
      attempts.delete(key);
      attempts.set(key, entry);
      const oldest = attempts.keys().next();
      if (attempts.size > MAX_TRACKED && !oldest.done) attempts.delete(oldest.value);
      if (entry.count <= policy.max) return 0;
      attempts.delete(key);
      const strikes = (lock && lock.forgetAt > now ? lock.strikes : 0) + 1;
      const duration = lockDuration(policy, strikes);
      locks.set(key, { until: now + duration, strikes, forgetAt: now + duration + STRIKE_MEMORY_MS });
      return duration;
    },
    async succeed(key) {
      attempts.delete(key);
      locks.delete(key);
    },
  };
}

/**
 * The same policy in Redis, shared by every instance. One Lua script per attempt, so the
 * count, the lock and the strike move together even under concurrent requests.
 */
const ATTEMPT_SCRIPT = `
local lockTtl = redis.call('PTTL', KEYS[2])
if lockTtl > 0 then return lockTtl end
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if count <= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
local strikes = redis.call('INCR', KEYS[3])
local duration = math.min(tonumber(ARGV[2]) * 2 ^ (strikes - 1), tonumber(ARGV[3]))
redis.call('SET', KEYS[2], '1', 'PX', duration)
redis.call('PEXPIRE', KEYS[3], duration + tonumber(ARGV[4]))
return duration
`;

export function createRedisThrottle(policy: ThrottlePolicy, redis: Redis, prefix = 'tessera:throttle:'): AccountThrottle {
  const keys = (key: string) => [`${prefix}a:${key}`, `${prefix}l:${key}`, `${prefix}s:${key}`];
  return {
    async attempt(key) {
      const result = await redis.eval(ATTEMPT_SCRIPT, 3, ...keys(key), policy.max, policy.windowMs, MAX_LOCK_MS, STRIKE_MEMORY_MS);
      return Number(result);
    },
    async succeed(key) {
      await redis.del(...keys(key));
    },
  };
}
