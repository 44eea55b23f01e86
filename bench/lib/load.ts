import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Per-request rewrite (a different token each time, say). */
  setupRequest?: autocannon.Request['setupRequest'];
  onResponse?: autocannon.Request['onResponse'];
  connections: number;
  seconds: number;
  /** Stop after this many requests instead of after `seconds`. */
  amount?: number;
}

export interface LoadResult {
  /** 2xx responses per second. */
  rps: number;
  /** Latency of 2xx responses in milliseconds (exact, from every sample). */
  p50: number;
  p99: number;
  max: number;
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  statusCodes: Record<string, number>;
}

/**
 * Grows as samples arrive. autocannon's own histogram keeps whole milliseconds, too coarse
 * for sub-millisecond latencies, so every response time is kept and sorted at the end.
 */
class Samples {
  private values = new Float64Array(1 << 16);
  private length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }

  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

const percentile = (sorted: Float64Array, q: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Starts a load in this process; `stop()` ends it early (the result still resolves). */
export function startLoad(spec: LoadSpec): { result: Promise<LoadResult>; stop(): void } {
  const samples = new Samples();
  let instance: autocannon.Instance | undefined;
  const result = new Promise<LoadResult>((resolve, reject) => {
    const request: autocannon.Request = {
      method: spec.method ?? 'GET',
      path: spec.path,
      headers: spec.headers ?? {},
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      ...(spec.setupRequest ? { setupRequest: spec.setupRequest } : {}),
      ...(spec.onResponse ? { onResponse: spec.onResponse } : {}),
    };
    instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        ...(spec.amount ? { amount: spec.amount } : { duration: spec.seconds }),
        requests: [request],
      },
      (error, raw) => {
        if (error) return reject(error);
        const sorted = samples.sorted();
        const statusCodes = Object.fromEntries(Object.entries(raw.statusCodeStats).map(([code, { count }]) => [code, count]));
        resolve({
          rps: raw['2xx'] / raw.duration,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          max: sorted.length ? sorted[sorted.length - 1]! : NaN,
          ok: raw['2xx'],
          non2xx: raw.non2xx,
          errors: raw.errors + raw.timeouts,
          seconds: raw.duration,
          statusCodes,
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) samples.push(ms);
    });
  });
  return { result, stop: () => instance?.stop() };
}
