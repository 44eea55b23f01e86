import { execFile, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './server-process.ts';

const run = promisify(execFile);

/** PostgreSQL 15's binaries (Debian's layout), or the newest version installed. */
function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(`${root}/15/bin/initdb`)) return `${root}/15/bin`;
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(`${root}/${v}/bin/initdb`)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest && `${root}/${newest}/bin`;
}

const BIN = binDir();
const OS_USER = 'postgres';
const osUser = (): { uid: number; gid: number } | undefined => {
  const id = (flag: string) => spawnSync('id', [flag, OS_USER], { encoding: 'utf8' });
  const [uid, gid] = [id('-u'), id('-g')];
  return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : undefined;
};

/**
 * A private cluster needs the server binaries and root (initdb refuses root, so it runs as the
 * `postgres` user through runuser). Without them the tests that need one are skipped, unless
 * REQUIRE_PRIVATE_POSTGRES=1 says the machine must have them.
 */
export const privatePostgresAvailable = (): boolean => {
  const ok = BIN !== undefined && process.getuid?.() === 0 && osUser() !== undefined && existsSync('/usr/sbin/runuser');
  if (!ok && process.env.REQUIRE_PRIVATE_POSTGRES === '1')
    throw new Error('a private PostgreSQL cluster needs root and PostgreSQL binaries');
  return ok;
};

const asPostgres = (command: string, args: string[]) => run('/usr/sbin/runuser', ['-u', OS_USER, '--', join(BIN!, command), ...args]);

export interface PrivatePostgres {
  /** The `postgres` database of the cluster, as its superuser (trust auth, 127.0.0.1 only). */
  url: string;
  port: number;
  start(): Promise<void>;
  /** `immediate`: the postmaster quits at once, as on a crash (recovery on the next start); `fast`: a clean stop. */
  stop(options?: { mode?: 'immediate' | 'fast' }): Promise<void>;
  /** A new empty database on the cluster, for one app: its name and URL. */
  createDatabase(): Promise<{ name: string; url: string }>;
  /** Pids of the client backends, of one database or all, or only those waiting for a lock (a query held up). */
  backendPids(filter?: { database?: string; waitingForLock?: boolean }): Promise<number[]>;
  /**
   * Kills one backend. SIGKILL makes the postmaster end every backend and run crash recovery:
   * every connection of the cluster is lost. That is why this is a private cluster.
   */
  killBackend(pid: number, signal?: 'SIGKILL' | 'SIGTERM'): void;
  /**
   * Stops every process of the cluster (SIGSTOP): connections stay open and new ones are accepted
   * by the kernel, but nothing answers, as with a hung server or a partition that drops packets.
   */
  freeze(): void;
  /** Lets a frozen cluster go on (SIGCONT); safe to call when it is not frozen. */
  thaw(): void;
  /** Resolves once the cluster accepts connections and answers (after a start or a crash recovery). */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** Stops the cluster (immediately) and removes its directory; safe to call twice. */
  destroy(): Promise<void>;
}

let databases = 0;

/**
 * Vitest ends its workers with SIGTERM, which runs no 'exit' hook: a detached watchdog stops the
 * cluster and removes its directory once this process is gone. It leaves on its own when the
 * directory is removed (destroy()).
 */
function stopWhenOrphaned(dir: string, data: string): void {
  const script = [
    'while kill -0 "$1" 2>/dev/null && [ -d "$2" ]; do sleep 1; done',
    // A frozen cluster (freeze()) would not hear pg_ctl: let it go on first.
    'if [ -d "$2" ]; then m=$(head -n 1 "$3/postmaster.pid" 2>/dev/null); [ -n "$m" ] && kill -CONT "$m" $(pgrep -P "$m") 2>/dev/null',
    '/usr/sbin/runuser -u "$4" -- "$5" -D "$3" -m immediate -w stop; rm -rf "$2"; fi',
  ].join('; ');
  const args = ['-c', script, 'pg-watchdog', String(process.pid), dir, data, OS_USER, join(BIN!, 'pg_ctl')];
  spawn('/bin/sh', args, { stdio: 'ignore', detached: true }).unref();
}

/**
 * Creates and starts a throwaway PostgreSQL cluster in a fresh temp directory, on a free port of
 * 127.0.0.1, tuned for speed (fsync off, small buffers): one initdb (~1 s) per test file.
 * Never the machine's shared cluster, which other tests and engineers use.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const owner = osUser();
  if (!BIN || !owner) throw new Error('no PostgreSQL binaries or postgres user on this machine');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
  chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  /** The processes freeze() stopped, for thaw(). */
  let frozen: number[] = [];
  const thaw = () => {
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Gone already.
      }
    }
    frozen = [];
  };
  // A worker that dies (a crash, a timeout) must not leave a postmaster behind.
  const cleanUp = () => {
    thaw();
    spawnSync('/usr/sbin/runuser', ['-u', OS_USER, '--', join(BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'], {
      stdio: 'ignore',
    });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanUp);
  stopWhenOrphaned(dir, data);

  try {
    await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  } catch (error) {
    process.off('exit', cleanUp);
    cleanUp();
    throw error;
  }
  let port = 0;
  const url = () => `postgres://postgres@127.0.0.1:${port}/postgres`;

  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url() });
    client.on('error', () => {}); // a crash recovery may cut this connection too
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  };

  const cluster: PrivatePostgres = {
    get url() {
      return url();
    },
    get port() {
      return port;
    },
    async start() {
      const options = [
        `-p ${port}`,
        '-c listen_addresses=127.0.0.1',
        `-c unix_socket_directories=${dir}`,
        '-c shared_buffers=16MB',
        // Fast, and still safe for what the tests do: a crash of the server (SIGKILL, immediate
        // stop) keeps every commit, since written WAL sits in the OS cache. Never
        // synchronous_commit=off: an immediate stop would lose the last commits.
        '-c fsync=off',
        '-c full_page_writes=off',
        '-c max_connections=50',
      ].join(' ');
      await asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o', options, 'start']);
    },
    async stop({ mode = 'fast' } = {}) {
      await asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop']);
    },
    async createDatabase() {
      const name = `tessera_${process.pid}_${++databases}`;
      await query(`CREATE DATABASE ${name}`);
      return { name, url: url().replace(/\/postgres$/, `/${name}`) };
    },
    async backendPids({ database, waitingForLock = false } = {}) {
      const rows = await query<{ pid: number }>(
        `select pid from pg_stat_activity
          where backend_type = 'client backend' and pid <> pg_backend_pid()
            and ($1::text is null or datname = $1) and (not $2 or wait_event_type = 'Lock')`,
        [database ?? null, waitingForLock],
      );
      return rows.map((row) => row.pid);
    },
    killBackend(pid, signal = 'SIGKILL') {
      process.kill(pid, signal);
    },
    freeze() {
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      // The postmaster first, so that it starts no new backend meanwhile.
      process.kill(postmaster, 'SIGSTOP');
      frozen.push(postmaster);
      const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number);
      for (const pid of children) {
        process.kill(pid, 'SIGSTOP');
        frozen.push(pid);
      }
    },
    thaw,
    async waitUntilReady(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          await query('select 1');
          return;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
    async destroy() {
      process.off('exit', cleanUp);
      thaw();
      await cluster.stop({ mode: 'immediate' }).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };

  // Another process may take the free port before the postmaster binds it: try a few.
  for (let attempt = 1; ; attempt += 1) {
    port = await freePort();
    try {
      await cluster.start();
      return cluster;
    } catch (error) {
      if (attempt < 3) continue;
      await cluster.destroy();
      throw error;
    }
  }
}
