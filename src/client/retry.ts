/** How a request the server could not serve for now (503) is sent again. */
export interface RetryOptions {
  /** Attempts in all, the first included (default 4). */
  tries?: number;
  /** The longest wait between two attempts, whatever Retry-After says (default 5000 ms). */
  maxDelayMs?: number;
}

const DEFAULT_TRIES = 4;
const DEFAULT_MAX_DELAY_MS = 5_000;
/** The wait when a 503 carries no Retry-After the client can read. */
const DEFAULT_DELAY_MS = 1_000;

/** Retry-After (delay-seconds or an HTTP date, RFC 9110 §10.2.3) in milliseconds, capped. */
export function retryDelayMs(res: Response, maxDelayMs: number): number {
  const header = res.headers.get('Retry-After')?.trim();
  let ms = DEFAULT_DELAY_MS;
  if (header && /^\d+$/.test(header)) ms = Number(header) * 1000;
  else if (header && !Number.isNaN(Date.parse(header))) ms = Math.max(0, Date.parse(header) - Date.now());
  return Math.min(ms, maxDelayMs);
}

/**
 * Sends `send()` again while the server answers 503 (its database is out of reach: nothing was
 * done), waiting as Retry-After asks, capped, for a few attempts; returns the last answer. Only
 * for requests that are safe to repeat (logout is: ending an ended session is still 204).
 */
export async function retryWhileUnavailable(send: () => Promise<Response>, options: RetryOptions = {}): Promise<Response> {
  const tries = Math.max(1, options.tries ?? DEFAULT_TRIES);
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  for (let attempt = 1; ; attempt += 1) {
    const res = await send();
    if (res.status !== 503 || attempt >= tries) return res;
    const delay = retryDelayMs(res, maxDelayMs);
    await res.arrayBuffer().catch(() => {}); // frees the connection for the next attempt
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
