import type { Logger } from 'pino';
import type { Db } from '../database.ts';
import type { Clock } from '../lib/clock.ts';
import { createMemoryRevocationIndex, type RevocationIndex } from '../lib/revocation-index.ts';
import {
  createRevocationRepository,
  isKeyRevocation,
  type KeyRevocation,
  type Revocation,
  type SequencedRevocation,
  type StoredRevocation,
} from './revocation.repository.ts';
import type { RevocationBroadcast } from './redis-broadcast.ts';

/** The longest a poll waits for the keystore to let revoked keys go (see applyHere). */
const KEY_FORGET_WAIT_MS = 2000;

export interface Revocations {
  index: RevocationIndex;
  /** The moment until which an access token issued now could be live (exp plus leeway), in ms. */
  coverUntil(now: number): number;
  /** Revokes one access token by `jti`, persisted and applied here at once. */
  revokeToken(jti: string, expSeconds: number): Promise<void>;
  /** Applies session revocations already persisted (by the session repository) to this instance at once. */
  applySessions(ids: string[], now: number): void;
  /** Applies key revocations already persisted (with the key's removal) to this instance at once, and broadcasts them. */
  applyKeys(revoked: KeyRevocation[]): void;
  /** Loads live revocations, then polls the database so every instance applies them within a second. */
  start(): Promise<void>;
  /** One poll; exposed for tests. */
  poll(): Promise<void>;
  /**
   * Calls `listener` with the rows each poll reads, in sequence order (the revocation feed's
   * live events). While anyone listens, a revocation made here is polled at once.
   */
  subscribe(listener: (rows: SequencedRevocation[]) => void): () => void;
  /** Live revocations committed after sequence number `after` (the feed's catch-up). */
  since(after: number): Promise<SequencedRevocation[]>;
  /** The highest sequence number committed. */
  latest(): Promise<number>;
  stop(): void;
}

/**
 * Instant revocation without a query per request: the database is the record, the
 * in-memory index answers requests, and a poll of the `revocations` table (every
 * REVOCATION_POLL_INTERVAL, 500 ms by default) carries revocations between instances.
 */
export function createRevocations(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  accessTtlSeconds: number;
  clockToleranceSeconds: number;
  pollMs: number;
  /** Redis pub/sub, when configured: other instances apply revocations at once instead of at the next poll. */
  broadcast?: RevocationBroadcast;
  /**
   * Signing keys revoked (by kid), from the poll or the broadcast: the keystore drops them at once
   * and re-reads the store. Keys are otherwise re-read only every KEY_POLL_INTERVAL (30 s),
   * too late for a compromised key; this is how its removal reaches every instance within a second.
   */
  onKeysRevoked?: (kids: string[]) => Promise<void>;
}): Revocations {
  const { clock, logger } = deps;
  const repo = createRevocationRepository(deps.db);
  const index = createMemoryRevocationIndex(clock);
  const lifetimeMs = (deps.accessTtlSeconds + deps.clockToleranceSeconds) * 1000 + 1000;
  /** The last revocation sequence number read: a database counter, so clock skew between instances cannot skip a row. */
  let cursor = 0;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let lastPrune = 0;
  const listeners = new Set<(rows: SequencedRevocation[]) => void>();

  /**
   * Sessions and tokens go to the index; keys to the keystore (a re-read failing is logged: the key
   * is dropped already). Settles once the keystore has let the keys go, or after
   * KEY_FORGET_WAIT_MS, and never rejects: a poll that read a key revocation has applied it when it
   * resolves, yet a key read that hangs (a half-open database connection) cannot stall the polls
   * that carry session revocations. The keystore refuses the keys from the call on, before its read.
   */
  const applyHere = async (rows: StoredRevocation[]): Promise<void> => {
    const kids = rows.filter(isKeyRevocation).map((row) => row.id);
    index.apply(rows.filter((row): row is Revocation => !isKeyRevocation(row)));
    if (kids.length > 0 && deps.onKeysRevoked) {
      const forgotten = deps
        .onKeysRevoked(kids)
        .catch((error: unknown) =>
          logger.error({ err: error, kids }, 'signing keys not re-read after a key revocation; the next key poll will'),
        );
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, KEY_FORGET_WAIT_MS);
      });
      await Promise.race([forgotten, waited]).finally(() => clearTimeout(timer));
    }
  };
  /** What the revocation feed sends: sessions and tokens (other services get keys from the JWKS). */
  const forFeed = <R extends StoredRevocation>(rows: R[]) => rows.filter((row): row is Exclude<R, KeyRevocation> => !isKeyRevocation(row));

  const pollOnce = async () => {
    const startedAt = clock.now();
    try {
      const read = await repo.after(cursor, startedAt);
      await applyHere(read.rows);
      cursor = read.cursor;
      const feedRows = forFeed(read.rows);
      if (feedRows.length > 0) {
        for (const listener of listeners) {
          try {
            listener(feedRows);
          } catch (error) {
            logger.error({ err: error }, 'a revocation listener failed');
          }
        }
      }
      if (startedAt - lastPrune > 60_000) {
        lastPrune = startedAt;
        await repo.prune(startedAt);
      }
    } catch (error) {
      logger.error({ err: error }, 'revocation poll failed; serving from the local index until it recovers');
    }
  };

  /** Polls run one after another; a call made during a poll gets a fresh poll after it. */
  const poll = (): Promise<void> => {
    const next = (polling ?? Promise.resolve()).then(pollOnce).finally(() => {
      if (polling === next) polling = undefined;
    });
    polling = next;
    return next;
  };
  /** Feed subscribers hear of a revocation made here at once, not at the next poll. */
  const pollForListeners = () => {
    if (listeners.size > 0) void poll();
  };

  return {
    index,
    coverUntil: (now) => now + lifetimeMs,
    async revokeToken(jti, expSeconds) {
      const now = clock.now();
      const revocation: Revocation = {
        id: jti,
        kind: 'jti',
        createdAt: now,
        expiresAt: (expSeconds + deps.clockToleranceSeconds) * 1000 + 1000,
      };
      index.apply([revocation]);
      await repo.add([revocation]);
      deps.broadcast?.publish([revocation]);
      pollForListeners();
    },
    applySessions(ids, now) {
      const revoked = ids.map((id) => ({ id, kind: 'sid' as const, createdAt: now, expiresAt: now + lifetimeMs }));
      index.apply(revoked);
      deps.broadcast?.publish(revoked);
      pollForListeners();
    },
    applyKeys(revoked) {
      void applyHere(revoked);
      deps.broadcast?.publish(revoked);
    },
    async start() {
      // Every row still in the table: expired ones are pruned, so this is what may cover a live token.
      await poll();
      // After a Redis outage, read what was missed from the database straight away.
      deps.broadcast?.subscribe(
        (revoked) => {
          void applyHere(revoked);
          if (forFeed(revoked).length > 0) pollForListeners();
        },
        () => void poll(),
      );
      timer = setInterval(() => {
        if (!polling) void poll();
      }, deps.pollMs);
      timer.unref();
    },
    poll,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    since: async (after) => forFeed((await repo.after(after, clock.now())).rows),
    latest: () => repo.latest(),
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
