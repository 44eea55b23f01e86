import type { Clock } from '../lib/clock.ts';
import { readySeqOf, revocationOf, sequenceOf } from './feed-events.ts';
import { basicAuthorization, feedLabel, type FeedSettings } from './revocation-options.ts';
import { createMemoryRevocationIndex } from '../lib/revocation-index.ts';
import { createSseParser, type SseEvent } from './sse-parser.ts';

/**
 * connecting: a request is on its way; catching-up: connected, old revocations arriving;
 * current: the server said `ready`, new revocations arrive as they happen; down: waiting to retry.
 */
export type FeedState = 'connecting' | 'catching-up' | 'current' | 'down' | 'closed';

export interface RevocationFeed {
  state(): FeedState;
  isCurrent(): boolean;
  /**
   * The last moment the feed is known to have missed nothing: when it last read bytes (an event
   * or a keep-alive) from a current stream, or became current; start-up until the first time.
   * Staleness is counted from here, so it starts when the stream went silent, not when a
   * reconnect noticed, and ends as soon as a resumed stream is caught up.
   */
  heardAt(): number;
  /** The cursor sent as Last-Event-ID on a reconnect. */
  lastEventId(): number | undefined;
  /** Whether a token with this sid or jti is revoked; pass '' for a claim the token lacks. */
  isRevoked(sid: string, jti: string): boolean;
  /** Aborts the stream and clears every timer; resolves once the connection loop has stopped. */
  close(): Promise<void>;
}

/** Why a connection ended, as logged; `refused` when the server rejected the client credentials. */
class Disconnect extends Error {
  constructor(
    readonly reason: string,
    readonly refused = false,
    /** The least wait before the next attempt (refused credentials, a Retry-After), if any. */
    readonly waitMs = 0,
  ) {
    super(reason);
  }
}

/** Opens the stream now and keeps it open (reconnecting with back-off) until closed. */
export function openRevocationFeed(settings: FeedSettings, clock: Clock): RevocationFeed {
  const { logger } = settings;
  const label = feedLabel(settings.url);
  const authorization = basicAuthorization(settings.clientId, settings.clientSecret);
  const revoked = createMemoryRevocationIndex(clock);
  let state: FeedState = 'connecting';
  let closed = false;
  let heardAt = clock.now();
  let lastId: number | undefined;
  let failures = 0;
  let controller: AbortController | undefined;
  let idle: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const onEvent = (event: SseEvent) => {
    if (event.type === 'revocation') {
      const seq = sequenceOf(event.id);
      if (seq !== undefined && lastId !== undefined && seq <= lastId) return; // seen before this reconnect
      const revocation = revocationOf(event.data);
      if (revocation) revoked.apply([revocation]);
      else logger.warn({ feed: label, id: event.id }, 'revocation feed: malformed revocation event ignored');
      if (seq !== undefined) lastId = seq;
      else logger.warn({ feed: label, id: event.id }, 'revocation feed: revocation event without a numeric id');
    } else if (event.type === 'ready') {
      const seq = readySeqOf(event.data);
      if (seq !== undefined && lastId !== undefined && seq < lastId) {
        // A new database behind the server: our cursor would skip its revocations. Start over.
        lastId = undefined;
        throw new Disconnect(`the server's sequence went back to ${seq}; reconnecting for a full catch-up`);
      }
      // The server is current up to `seq`: resuming from there skips only what it chose not to send.
      if (seq !== undefined) lastId = seq;
      if (state !== 'current') {
        const silentForMs = clock.now() - heardAt;
        state = 'current';
        heardAt = clock.now();
        failures = 0;
        logger.info({ feed: label, seq, revocations: revoked.size(), silentForMs }, 'revocation feed: current');
      }
    } else {
      logger.debug?.({ feed: label, event: event.type }, 'revocation feed: unknown event ignored');
    }
  };

  /** Any bytes of a current stream, a keep-alive comment included, show that nothing was missed. */
  const heard = () => {
    if (state === 'current') heardAt = clock.now();
  };

  /** One connection, from the request to the end of the stream; always throws a Disconnect. */
  const connect = async (signal: AbortSignal): Promise<never> => {
    const headers: Record<string, string> = { accept: 'text/event-stream', authorization, 'cache-control': 'no-cache' };
    if (lastId !== undefined) headers['last-event-id'] = String(lastId);
    const response = await fetch(settings.url, { headers, signal });
    if (response.status === 401 || response.status === 403) {
      const body: unknown = await response.json().catch(() => undefined);
      const code = typeof body === 'object' && body !== null && 'code' in body ? String(body.code) : undefined;
      throw new Disconnect(
        `the server refused the client credentials (${response.status}${code ? ` ${code}` : ''})`,
        true,
        settings.refusedMs,
      );
    }
    const type = response.headers.get('content-type') ?? '';
    if (response.status !== 200 || !/^text\/event-stream\s*(;|$)/i.test(type) || !response.body) {
      await response.body?.cancel().catch(() => {});
      // 429: this client (or the server) holds all the streams it may; only a close frees one,
      // so the server's Retry-After is honoured rather than asking again every couple of seconds.
      const waitMs = response.status === 429 ? retryAfterMs(response.headers.get('retry-after')) : 0;
      throw new Disconnect(`unexpected response ${response.status} ${type}`.trim(), false, waitMs);
    }
    state = 'catching-up';
    logger.info({ feed: label, lastEventId: lastId }, 'revocation feed: connected, catching up');
    const parser = createSseParser({ event: onEvent });
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Disconnect('the server ended the stream');
      idle?.refresh();
      parser.push(value);
      heard();
    }
  };

  /** Logs why a connection ended and moves to `down`; returns the delay before the next attempt. */
  const disconnected = (reason: unknown): number => {
    const disconnect = reason instanceof Disconnect ? reason : new Disconnect(describe(reason));
    state = 'down';
    const delay = Math.max(backoff(failures, settings), disconnect.waitMs);
    failures += 1;
    const details = { feed: label, reason: disconnect.reason, retryInMs: delay, lastEventId: lastId };
    if (disconnect.refused) logger.error(details, 'revocation feed: client credentials refused; check clientId and clientSecret');
    else logger.warn(details, 'revocation feed: disconnected');
    return delay;
  };

  /** One connection with its idle watchdog; resolves to the delay before the next. */
  const attempt = async (): Promise<number> => {
    const current = new AbortController();
    controller = current;
    state = 'connecting';
    logger.info({ feed: label, lastEventId: lastId, attempt: failures + 1 }, 'revocation feed: connecting');
    idle = setTimeout(() => current.abort(new Disconnect(`no bytes for ${settings.idleMs} ms`)), settings.idleMs);
    idle.unref();
    try {
      return await connect(current.signal);
    } catch (error) {
      return closed ? 0 : disconnected(current.signal.aborted ? current.signal.reason : error);
    } finally {
      clearTimeout(idle);
      current.abort();
      controller = undefined;
    }
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      timer.unref();
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = (async () => {
    while (!closed) {
      // attempt() handles every failure of the stream; this is for a logger that throws.
      const delay = await attempt().catch(() => settings.maxMs);
      if (!closed) await sleep(delay);
    }
  })();

  return {
    state: () => state,
    isCurrent: () => state === 'current',
    heardAt: () => heardAt,
    lastEventId: () => lastId,
    isRevoked: (sid, jti) => revoked.isRevoked(sid, jti),
    async close() {
      if (closed) return loop;
      closed = true;
      state = 'closed'; // nothing arrives any more: stale once staleAfter has passed since heardAt
      controller?.abort();
      wake?.();
      await loop;
      logger.info({ feed: label }, 'revocation feed: closed');
    },
  };
}

/**
 * Exponential back-off with jitter: the n-th retry waits between half and all of initial·2ⁿ,
 * capped at max ("equal jitter": never a tight loop, and never longer than max).
 */
function backoff(failures: number, { initialMs, maxMs }: FeedSettings): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 30));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** Longest Retry-After honoured: a proxy's "come back tomorrow" must not silence the feed that long. */
const MAX_RETRY_AFTER_MS = 30_000;

/** A Retry-After header (seconds, or an HTTP date) in ms, at most MAX_RETRY_AFTER_MS; 0 when absent. */
function retryAfterMs(header: string | null): number {
  if (header === null) return 0;
  const ms = /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : 0;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
