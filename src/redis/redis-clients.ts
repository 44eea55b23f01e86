import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisClients {
  /** Commands and PUBLISH. Fails fast while disconnected (no offline queue), so a Redis outage never stalls a request. */
  command: Redis;
  /** A connection in subscriber mode (Redis requires a separate one). */
  subscriber: Redis;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export function createRedisClients(url: string, logger: Logger): RedisClients {
  const options = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // Reconnect forever, backing off to 2 s: Tessera keeps serving from the database meanwhile.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
  };
  const command = new Redis(url, options);
  // The subscriber must queue its SUBSCRIBE until connected; it never serves requests.
  const subscriber = new Redis(url, { ...options, enableOfflineQueue: true, maxRetriesPerRequest: null });
  let down = false;
  for (const client of [command, subscriber]) {
    client.on('error', (error: Error) => {
      if (!down) logger.error({ err: error }, 'redis unavailable; serving from the database and local state');
      down = true;
    });
    client.on('ready', () => {
      if (down) logger.info('redis connection restored');
      down = false;
    });
  }
  return {
    command,
    subscriber,
    ping: async () => (await command.ping()) === 'PONG',
    async close() {
      command.disconnect();
      subscriber.disconnect();
    },
  };
}
