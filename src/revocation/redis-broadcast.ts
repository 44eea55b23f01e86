import type { Logger } from 'pino';
import type { RedisClients } from '../redis/redis-clients.ts';
import type { StoredRevocation } from './revocation.repository.ts';

const REVOCATION_CHANNEL = 'tessera:revocations';

export interface RevocationBroadcast {
  publish(revocations: StoredRevocation[]): void;
  /** Calls `onMessage` for revocations published by any instance; `onReconnect` whenever Redis (re)connects. */
  subscribe(onMessage: (revocations: StoredRevocation[]) => void, onReconnect: () => void): void;
}

const isRevocation = (value: unknown): value is StoredRevocation => {
  const r = value as Partial<StoredRevocation> | null;
  return (
    typeof r?.id === 'string' &&
    (r.kind === 'sid' || r.kind === 'jti' || r.kind === 'kid') &&
    typeof r.createdAt === 'number' &&
    typeof r.expiresAt === 'number'
  );
};

/**
 * Carries revocations between instances at once over Redis pub/sub. The database stays the
 * record: a message lost while Redis is down is caught up by the revocation poll.
 */
export function createRedisBroadcast(redis: RedisClients, logger: Logger): RevocationBroadcast {
  return {
    publish(revocations) {
      if (revocations.length === 0) return;
      redis.command.publish(REVOCATION_CHANNEL, JSON.stringify(revocations)).catch((error: unknown) => {
        logger.warn({ err: error }, 'revocation not published; other instances will read it from the database');
      });
    },
    subscribe(onMessage, onReconnect) {
      redis.subscriber.on('message', (channel: string, message: string) => {
        if (channel !== REVOCATION_CHANNEL) return;
        try {
          const parsed: unknown = JSON.parse(message);
          if (Array.isArray(parsed)) onMessage(parsed.filter(isRevocation));
        } catch {
          logger.warn('ignored a malformed revocation message');
        }
      });
      // On every (re)connection, read what may have been missed from the database. The first
      // one may already have happened before this listener exists; an extra poll is harmless.
      redis.subscriber.on('ready', onReconnect);
      // Not awaited: with Redis down at start-up the SUBSCRIBE waits for the connection
      // (ioredis also re-subscribes after every reconnect), and start-up must not wait with it.
      redis.subscriber.subscribe(REVOCATION_CHANNEL).catch((error: unknown) => {
        logger.error({ err: error }, 'cannot subscribe to revocations; the database poll carries them');
      });
    },
  };
}
