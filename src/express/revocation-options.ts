/** What the revocation feed logs through: pino's signature, so a pino logger can be passed as is. */
export interface FeedLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  /** Optional: unknown event names are reported here when present. */
  debug?(obj: object, msg: string): void;
}

/** requireAuth's `revocations` option: the auth server's revocation feed (GET /api/revocations). */
export interface RevocationFeedOptions {
  /** The feed, e.g. https://auth.example.com/api/revocations. */
  url: string | URL;
  /** A service client of the auth server (`tessera client create`), sent with HTTP Basic. */
  clientId: string;
  /** That client's secret. */
  clientSecret: string;
  /**
   * What a token that verified gets once nothing has been heard from the feed for longer than
   * `staleAfter`: 'allow' (default; it passes unchecked against the feed, and a warning is
   * logged once per silence) or 'deny' (503 `unavailable`).
   */
  onStale?: 'allow' | 'deny';
  /**
   * How long (ms, default 30,000) the feed may be silent before `onStale` applies: counted from
   * the last event or keep-alive of a current stream (the server sends a keep-alive every 15 s,
   * so keep this well above 15 s), or from start-up until the first catch-up completes. A
   * stream that is back and caught up clears it at once.
   */
  staleAfter?: number;
  /**
   * Where state changes go (connecting, connected, current, disconnected with the reason, stale),
   * one line each; refused client credentials are logged at error level. Default: one console line each.
   * The stream is shared: it logs through the logger of the first requireAuth that opened it.
   */
  logger?: FeedLogger;
  /**
   * Tuning, mostly for tests: the reconnect back-off (with jitter) starts at `initialMs` (250) and
   * doubles up to `maxMs` (2,000); refused client credentials are retried every `refusedMs`
   * (30,000); a stream silent for `idleMs` (25,000; the server sends a keep-alive every 15 s)
   * is dropped and reopened.
   */
  timing?: { initialMs?: number; maxMs?: number; idleMs?: number; refusedMs?: number };
}

/** The options checked, with their defaults filled in. */
export interface FeedSettings {
  url: URL;
  clientId: string;
  clientSecret: string;
  onStale: 'allow' | 'deny';
  staleAfter: number;
  logger: FeedLogger;
  initialMs: number;
  maxMs: number;
  idleMs: number;
  refusedMs: number;
}

/** The contract: an open stream carries a comment (a keep-alive) at least every 15 s. */
export const KEEP_ALIVE_MS = 15_000;

/**
 * The reconnect back-off's ceiling. A restarted auth server is heard again at most this long
 * (plus the catch-up) after it is back; the old 30 s left revoked tokens honoured for 15–24 s.
 * At the ceiling the jitter (half to all of it) spreads the subscribers' retries over a second.
 */
const MAX_BACKOFF_MS = 2_000;

/**
 * A stream silent this long has lost more than one keep-alive: it is dead (a partition, a proxy
 * that dropped it), so it is dropped and reopened, before the default staleAfter (30 s) of
 * silence could apply onStale to a feed that a reconnect would make current again.
 */
const IDLE_MS = 25_000;

/**
 * Refused client credentials are a configuration error, not an outage: retrying every couple of
 * seconds would only fill both logs. A client created later is picked up within this.
 */
const REFUSED_RETRY_MS = 30_000;

const line =
  (write: (text: string) => void) =>
  (obj: object, msg: string): void => {
    write(`tessera-auth: ${msg} ${JSON.stringify(obj)}`);
  };

/** One console line per state change. */
export const consoleFeedLogger: FeedLogger = {
  info: line((text) => console.info(text)),
  warn: line((text) => console.warn(text)),
  error: line((text) => console.error(text)),
};

const fail = (message: string): never => {
  throw new TypeError(`requireAuth: revocations.${message}`);
};

const duration = (value: number | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(`${name} must be a number of ms ≥ 0`);
  return value;
};

const nonEmpty = (value: unknown, name: string): string =>
  typeof value === 'string' && value.length > 0 ? value : fail(`${name} must be a non-empty string`);

/** Checks the options when requireAuth is created, so a typo fails at start-up, not at the first outage. */
export function feedSettings(options: RevocationFeedOptions): FeedSettings {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return fail('url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('url must be an absolute http(s) URL');
  const onStale = options.onStale ?? 'allow';
  if (onStale !== 'allow' && onStale !== 'deny') fail("onStale must be 'allow' or 'deny'");
  const initialMs = Math.max(1, duration(options.timing?.initialMs, 250, 'timing.initialMs'));
  return {
    url,
    clientId: nonEmpty(options.clientId, 'clientId'),
    clientSecret: nonEmpty(options.clientSecret, 'clientSecret'),
    onStale,
    staleAfter: duration(options.staleAfter, 30_000, 'staleAfter'),
    logger: options.logger ?? consoleFeedLogger,
    initialMs,
    maxMs: Math.max(initialMs, duration(options.timing?.maxMs, MAX_BACKOFF_MS, 'timing.maxMs')),
    idleMs: Math.max(1, duration(options.timing?.idleMs, IDLE_MS, 'timing.idleMs')),
    refusedMs: duration(options.timing?.refusedMs, REFUSED_RETRY_MS, 'timing.refusedMs'),
  };
}

/** RFC 6749 §2.3.1: client id and secret form-encoded, then HTTP Basic. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const form = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${form(clientId)}:${form(clientSecret)}`).toString('base64')}`;
}

/** The feed's address as logged: no user info, no query. */
export const feedLabel = (url: URL): string => `${url.origin}${url.pathname}`;
