import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/lib/limiter.ts';

describe('limiter', () => {
  it('runs at most `concurrency` tasks at once, in order, and frees slots on failure', async () => {
    const limiter = createLimiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const gates: (() => void)[] = [];
    const task = (i: number, fail = false) =>
      limiter.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running -= 1;
        order.push(i);
        if (fail) throw new Error('boom');
        return i;
      });
    const all = [task(1, true), task(2), task(3), task(4)].map((p) => p.catch(() => 'failed'));
    await Promise.resolve();
    expect(limiter.queued()).toBe(2);
    while (order.length < 4) {
      gates.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(all)).toEqual(['failed', 2, 3, 4]);
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4]);
  });
});
