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
   * What a token that verified gets once the stream has been down longer than `staleAfter`:
   * 'allow' (default; it passes unchecked against the feed, and a warning is logged once per
   * outage) or 'deny' (503 `unavailable`).
   */
  onStale?: 'allow' | 'deny';
  /**
   * How long (ms, default 30,000) the stream may be down before `onStale` applies. It is down
   * from start-up until the first catch-up completes, and from each disconnect until the next.
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
   * doubles up to `maxMs` (30,000); a stream silent for `idleMs` (45,000; the server sends a
   * comment every 15 s) is dropped and reopened.
   */
  timing?: { initialMs?: number; maxMs?: number; idleMs?: number };
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
}

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
    maxMs: Math.max(initialMs, duration(options.timing?.maxMs, 30_000, 'timing.maxMs')),
    idleMs: Math.max(1, duration(options.timing?.idleMs, 45_000, 'timing.idleMs')),
  };
}

/** RFC 6749 §2.3.1: client id and secret form-encoded, then HTTP Basic. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const form = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${form(clientId)}:${form(clientSecret)}`).toString('base64')}`;
}

/** The feed's address as logged: no user info, no query. */
export const feedLabel = (url: URL): string => `${url.origin}${url.pathname}`;
