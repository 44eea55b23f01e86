import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export const REDIS_BINARY = '/usr/bin/redis-server';
export const hasRedisServer = (): boolean => spawnSync(REDIS_BINARY, ['--version']).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A private, throwaway Redis on its own port, so a test can stop and restart it without
 * touching the machine's shared Redis.
 */
export async function startPrivateRedis() {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const waitUntil = async (up: boolean) => {
    for (let i = 0; i < 100; i += 1) {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false });
      probe.on('error', () => {});
      const ok = await probe.connect().then(
        () => probe.ping().then(() => true),
        () => false,
      );
      probe.disconnect();
      if (ok === up) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis on ${port} did not come ${up ? 'up' : 'down'}`);
  };

  const start = async () => {
    child = spawn(REDIS_BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitUntil(true);
  };
  const stop = async () => {
    child?.kill('SIGKILL');
    child = undefined;
    await waitUntil(false);
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}
