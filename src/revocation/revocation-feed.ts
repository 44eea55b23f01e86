import type { Response } from 'express';
import type { Logger } from 'pino';
import { rateLimited } from '../lib/errors.ts';
import type { SequencedRevocation } from './revocation.repository.ts';
import type { Revocations } from './revocations.ts';

/** What the contract promises: a comment at least every 15 s keeps proxies from closing the stream. */
export const FEED_HEARTBEAT_MS = 15_000;
/** A subscriber this far behind is not reading: it is cut off and resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1 << 20;
/**
 * Retry-After of a refused stream. A slot frees only when a stream closes, which the server
 * cannot foresee; a subscriber that tries again this much later does not hammer it meanwhile.
 */
const FULL_RETRY_AFTER_SECONDS = 15;

/** How many streams the feed holds (FEED_MAX_STREAMS_PER_CLIENT, FEED_MAX_STREAMS). */
export interface FeedLimits {
  perClient: number;
  total: number;
}

export interface RevocationFeed {
  /**
   * Streams to one subscriber until it leaves, its client is deleted, or the server shuts down.
   * Throws `rate_limited` (nothing written) when its client, or the feed, holds all it may.
   */
  serve(res: Response, subscriber: { clientId: string; lastEventId: number }): Promise<void>;
  /** Streams open now (a metric). */
  size(): number;
}

const eventOf = (r: SequencedRevocation): string =>
  `id: ${r.seq}\nevent: revocation\ndata: ${JSON.stringify({
    kind: r.kind,
    id: r.id,
    createdAt: new Date(r.createdAt).toISOString(),
    expiresAt: new Date(r.expiresAt).toISOString(),
  })}\n\n`;

/**
 * The revocation feed (Server-Sent Events) for other services. The database sequence is the
 * event id: on connect a subscriber gets every live revocation after its Last-Event-ID, then each
 * row the poll reads (a revocation made on this instance is polled at once). It listens before
 * it catches up and skips what it already sent, so nothing falls between the two and nothing
 * comes twice.
 */
export function createRevocationFeed(deps: {
  revocations: Revocations;
  logger: Logger;
  /** Re-checked at every heartbeat: a deleted client loses its stream. */
  clientExists(id: string): Promise<boolean>;
  heartbeatMs?: number;
  /** Aborted when the server shuts down: streams end so the server can drain. */
  shutdown?: AbortSignal;
  /**
   * Each stream holds a socket, a subscription and a timer: without a cap one client could open
   * them until the process runs out.
   */
  limits: FeedLimits;
}): RevocationFeed {
  const { revocations, logger, limits } = deps;
  const open = new Set<Response>();
  /** Streams held per client, from the start of serve() to their close: what the caps count. */
  const held = new Map<string, number>();
  let heldInAll = 0;
  /** Takes a slot, or refuses; the returned function gives it back (once). */
  const take = (clientId: string): (() => void) => {
    const mine = held.get(clientId) ?? 0;
    if (mine >= limits.perClient || heldInAll >= limits.total) throw rateLimited(FULL_RETRY_AFTER_SECONDS);
    held.set(clientId, mine + 1);
    heldInAll += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      heldInAll -= 1;
      const left = (held.get(clientId) ?? 1) - 1;
      if (left > 0) held.set(clientId, left);
      else held.delete(clientId);
    };
  };
  deps.shutdown?.addEventListener('abort', () => {
    for (const res of open) res.end();
  });

  return {
    size: () => open.size,
    async serve(res, { clientId, lastEventId }) {
      // A subscriber that left while its credentials were checked: its close has already fired.
      if (res.closed) return;
      // Taken before any await, so that streams opened at the same moment cannot all pass the caps.
      const release = take(clientId);
      // Listened for first: a subscriber that leaves during any await below is cleaned up too.
      let gone = false;
      const cleanups: (() => void)[] = [release];
      res.on('close', () => {
        gone = true;
        open.delete(res);
        for (const cleanup of cleanups) cleanup();
      });
      // Ids above the newest row come from another database (restored, or reset): start over.
      const start = lastEventId > (await revocations.latest()) ? 0 : lastEventId;
      if (gone) return;
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Accel-Buffering', 'no'); // nginx: pass events through as they come
      res.flushHeaders();
      res.write('retry: 2000\n\n');
      open.add(res);

      let sent = start;
      let pending: SequencedRevocation[] | undefined = [];
      /** Live events: few and small. A subscriber that lets them pile up is not reading. */
      const send = (rows: SequencedRevocation[]) => {
        for (const row of rows) {
          if (row.seq <= sent) continue;
          res.write(eventOf(row));
          sent = row.seq;
        }
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          logger.warn({ clientId }, 'revocation feed subscriber is not reading; closing its stream');
          res.destroy();
        }
      };
      /** Until the socket takes more (or the subscriber leaves). */
      const drained = () =>
        new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      cleanups.push(revocations.subscribe((rows) => (pending ? pending.push(...rows) : send(rows))));
      const heartbeat = setInterval(() => {
        res.write(': keep-alive\n\n');
        deps.clientExists(clientId).then(
          (exists) => {
            if (!exists) res.end();
          },
          (error: unknown) => logger.warn({ err: error, clientId }, 'cannot re-check a feed client; keeping its stream'),
        );
      }, deps.heartbeatMs ?? FEED_HEARTBEAT_MS);
      heartbeat.unref();
      cleanups.push(() => clearInterval(heartbeat));
      if (deps.shutdown?.aborted) res.end();
      logger.info({ clientId, from: start }, 'revocation feed subscriber connected');

      try {
        // The catch-up may be large (every revocation of the last access-token lifetime): written
        // at the pace the subscriber reads it, never piled up in memory.
        for (const row of await revocations.since(start)) {
          if (gone) return;
          if (row.seq <= sent) continue;
          sent = row.seq;
          if (!res.write(eventOf(row))) await drained();
        }
        if (gone) return;
        const live = pending.sort((a, b) => a.seq - b.seq);
        pending = undefined;
        send(live);
        res.write(`event: ready\ndata: ${JSON.stringify({ seq: sent })}\n\n`);
      } catch (error) {
        // The headers are out: end the stream, and the subscriber resumes from what it has.
        logger.error({ err: error, clientId }, 'revocation feed catch-up failed; closing the stream');
        res.end();
      }
    },
  };
}
