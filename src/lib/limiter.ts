/**
 * At most `concurrency` tasks at once; the rest wait in order. Used to keep password hashing
 * from taking every core away from the event loop during a login storm.
 */
export function createLimiter(concurrency: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running -= 1;
    const next = waiting.shift();
    if (next) {
      running += 1;
      next();
    }
  };
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
      else running += 1;
      try {
        return await task();
      } finally {
        release();
      }
    },
    /** Tasks waiting for a slot. */
    queued: () => waiting.length,
  };
}
