import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Redis } from 'ioredis';

/**
 * Fixed-window counters in Redis, shared by every instance.
 *
 * Written here rather than taken from rate-limit-redis: that store loads a Lua script once
 * at start and keeps the rejected promise if Redis is down at that moment, so limits never
 * come back without a restart. These are plain INCR/PEXPIRE commands, each call on its own:
 * while Redis is down they fail fast, while it is silent (frozen, partitioned) they time out
 * (redis-clients.ts), and either way express-rate-limit lets the request through
 * (passOnStoreError); they work again the moment Redis returns.
 */
export class RedisRateLimitStore implements Store {
  windowMs = 60_000;
  readonly localKeys = false;

  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const k = this.prefix + key;
    const results = await this.redis.multi().incr(k).pexpire(k, this.windowMs, 'NX').pttl(k).exec();
    if (!results) throw new Error('rate-limit transaction aborted');
    const totalHits = Number(results[0]?.[1]);
    const ttl = Number(results[2]?.[1]);
    return { totalHits, resetTime: new Date(Date.now() + (ttl > 0 ? ttl : this.windowMs)) };
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const k = this.prefix + key;
    const [hits, ttl] = await Promise.all([this.redis.get(k), this.redis.pttl(k)]);
    if (hits === null) return undefined;
    return { totalHits: Number(hits), resetTime: new Date(Date.now() + Math.max(ttl, 0)) };
  }

  async decrement(key: string): Promise<void> {
    const k = this.prefix + key;
    // If the window ended meanwhile, the key is new: give it an expiry so it cannot linger.
    await this.redis.multi().decr(k).pexpire(k, this.windowMs, 'NX').exec();
  }

  async resetKey(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}
