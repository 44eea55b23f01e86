import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisClients {
  /**
   * Commands and PUBLISH. Fails fast while disconnected (no offline queue) and gives up on a
   * command Redis does not answer in time, so a Redis outage, even a silent one, never stalls a request.
   */
  command: Redis;
  /** A connection in subscriber mode (Redis requires a separate one). */
  subscriber: Redis;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The longest one command may add to a request. Ours are O(1) (INCR, a short Lua script, PUBLISH)
 * and answer in well under a millisecond on a healthy Redis, a few ms under load or while it
 * forks to persist; past half a second it is stuck (SIGSTOP, a hung primary, a partition that
 * drops packets without a reset), and the caller treats the timeout like any other Redis error:
 * the limits fail open, a revocation waits for the database poll, /readyz says unavailable.
 */
export const COMMAND_TIMEOUT_MS = 500;
/**
 * A connection that has left a command unanswered this long is dead: ioredis drops it and
 * reconnects, so the requests that follow fail at once (no offline queue) instead of each
 * waiting COMMAND_TIMEOUT_MS, and a replacement primary is found as soon as the address
 * answers again. Twice the command timeout: a slow moment fails a command, not the connection.
 * It also bounds the handshake of a new connection, which the kernel of a frozen Redis still accepts.
 */
export const SOCKET_TIMEOUT_MS = 2 * COMMAND_TIMEOUT_MS;
/** A TCP connect on the local network takes a millisecond; two seconds allow one lost SYN (retransmitted after 1 s). */
export const CONNECT_TIMEOUT_MS = 2000;
/**
 * The subscriber sends nothing once subscribed, so without a command of its own it would not
 * notice a silent Redis (TCP keep-alive takes minutes) and would miss every message meanwhile.
 * A PING this often, unanswered for SOCKET_TIMEOUT_MS, drops a dead subscription within two
 * seconds; the reconnection re-reads what may have been missed. One PING a second is nothing to Redis.
 */
export const SUBSCRIBER_PING_MS = 1000;

export function createRedisClients(url: string, logger: Logger): RedisClients {
  const options = {
    connectTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    // Reconnect forever, backing off to 2 s: Tessera keeps serving from the database meanwhile.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
  };
  const command = new Redis(url, {
    ...options,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    // A command its caller gave up on is not sent again after the reconnection: the request went
    // on without it long ago, and Redis may still run the first copy (a frozen one does, on SIGCONT),
    // so a failed login or a request would count twice.
    autoResendUnfulfilledCommands: false,
  });
  // The subscriber must queue its SUBSCRIBE until connected; it never serves requests, so it needs
  // no command timeout: the socket timeout and its PING find a dead connection.
  const subscriber = new Redis(url, { ...options, enableOfflineQueue: true, maxRetriesPerRequest: null });
  const heartbeat = setInterval(() => {
    // Only on a live connection: queued while offline, the pings would pile up for the reconnection.
    if (subscriber.status === 'ready') subscriber.ping().catch(() => {});
  }, SUBSCRIBER_PING_MS);
  heartbeat.unref();
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
      clearInterval(heartbeat);
      command.disconnect();
      subscriber.disconnect();
    },
  };
}
