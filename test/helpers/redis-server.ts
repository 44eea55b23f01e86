import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './server-process.ts';

export const REDIS_BINARY = '/usr/bin/redis-server';
export const hasRedisServer = (): boolean => spawnSync(REDIS_BINARY, ['--version']).status === 0;

/**
 * Kills `pid` once this process is gone. Vitest ends its workers with SIGTERM, which runs no
 * 'exit' hook, and a test that fails midway may never reach its cleanup: without this a Redis
 * left frozen (SIGSTOP) would stay on the machine, stopped, for good. SIGKILL ends a stopped
 * process too. The watchdog leaves on its own as soon as either process is gone.
 */
function killWhenOrphaned(pid: number): void {
  const script =
    'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill -0 "$1" 2>/dev/null || kill -KILL "$2" 2>/dev/null';
  spawn('/bin/sh', ['-c', script, 'watchdog', String(process.pid), String(pid)], { stdio: 'ignore', detached: true }).unref();
}

/**
 * A private, throwaway Redis on its own port, so a test can stop and restart it, or freeze it
 * (a stuck primary, a partition that drops packets), without touching the machine's shared Redis.
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
    if (child.pid !== undefined) killWhenOrphaned(child.pid);
    await waitUntil(true);
  };
  // SIGKILL ends a frozen process as well: stop() is the cleanup whatever state it is in.
  const stop = async () => {
    child?.kill('SIGKILL');
    child = undefined;
    await waitUntil(false);
  };
  /** SIGSTOP: connections stay open and the kernel still accepts new ones, but nothing answers. */
  const freeze = () => {
    if (!child?.kill('SIGSTOP')) throw new Error('no redis-server to freeze');
  };
  const thaw = async () => {
    if (!child?.kill('SIGCONT')) throw new Error('no redis-server to thaw');
    await waitUntil(true);
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop, freeze, thaw };
}
