import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');
const HOST = '127.0.0.1';

/** A server the bench started in its own process (node, or a tsx wrapper and the node process it runs). */
export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  /** Started through tsx: the server is the wrapper's child, and the wrapper is not counted. */
  wrapped: boolean;
  /** SIGTERM, then SIGKILL to the whole process group if it has not exited within 15 s. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Never leave a server behind, even when the bench itself fails.
process.on('exit', () => {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** 40 characters, as the issue asks (the server wants at least 32 bytes). */
export const newSecret = (): string => randomBytes(30).toString('base64url');

export interface StartOptions {
  name: string;
  /** An entry point relative to the repository root: .js runs with node, .ts through tsx. */
  script: string;
  /** The child's whole environment besides PATH and HOME: nothing else is inherited. */
  env: Record<string, string>;
  /** Working directory: a temporary one, so that no stray .env file or ./data is read. */
  cwd: string;
  readyText: string;
  /** How many times readyText must appear (one per cluster worker). */
  readyCount?: number;
  port: number;
  /** Extra node flags for a .js entry point (`--cpu-prof`, say). */
  nodeArgs?: string[];
}

export function startServer(options: StartOptions): Promise<ServerProcess> {
  const entry = resolve(ROOT, options.script);
  const [command, args] = entry.endsWith('.js') ? [process.execPath, [...(options.nodeArgs ?? []), entry]] : [TSX, [entry]];
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? options.cwd, ...options.env, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  const lines: string[] = [];
  let seen = 0;
  let settled = false;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  void exited.then(() => running.delete(child));

  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => fail(new Error('did not start within 60 s')), 60_000);
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      reject(new Error(`${options.name}: ${error.message}\n${lines.slice(-20).join('\n')}`));
    };
    const onLine = (line: string) => {
      if (!line) return;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      echoIfWarning(options.name, line);
      if (!settled && line.includes(options.readyText) && ++seen === (options.readyCount ?? 1)) {
        settled = true;
        clearTimeout(timer);
        resolveStart(handle);
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        const parts = (buffered + chunk).split('\n');
        buffered = parts.pop()!;
        parts.forEach(onLine);
      });
    }
    child.once('exit', (code, signal) => fail(new Error(`exited (${signal ?? code}) before it was ready`)));

    const handle: ServerProcess = {
      name: options.name,
      url: `http://${HOST}:${options.port}`,
      pid: child.pid!,
      wrapped: command === TSX,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        // The server (through tsx, which passes it on) drains and exits on SIGTERM.
        child.kill('SIGTERM');
        const killer = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 15_000);
        await exited;
        clearTimeout(killer);
      },
    };
  });
}

/** Server log lines at warn or above (pino levels 40+), and anything that is not JSON, go to our stderr. */
function echoIfWarning(name: string, line: string): void {
  // The server's request lines (info) arrive thousands a second and share the cores with the
  // load generator: skip them without parsing.
  if (line.startsWith('{"level":30,')) return;
  let level = 50;
  try {
    level = (JSON.parse(line) as { level?: number }).level ?? 50;
  } catch {
    // not a pino line
  }
  if (level >= 40) console.error(`  [${name}] ${line.slice(0, 400)}`);
}

/**
 * CPU seconds and resident memory of a server and its cluster workers (Linux /proc); for a
 * server started through tsx, without the tsx wrapper.
 */
export function serverUsage(server: Pick<ServerProcess, 'pid' | 'wrapped'>): { cpuSeconds: number; rssBytes: number } {
  const TICKS = 100;
  const PAGE = 4096;
  let cpuSeconds = 0;
  let rssBytes = 0;
  const children = (id: number): number[] =>
    safeReaddir(`/proc/${id}/task`).flatMap((task) => safeRead(`/proc/${id}/task/${task}/children`).split(' ').filter(Boolean).map(Number));
  const visit = (id: number) => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${id}/stat`, 'utf8');
    } catch {
      return;
    }
    // Fields after the command name, which is in parentheses: state is field 3 (index 0).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    cpuSeconds += (Number(fields[11]) + Number(fields[12])) / TICKS;
    rssBytes += Number(fields[21]) * PAGE;
    children(id).forEach(visit);
  };
  if (server.wrapped) children(server.pid).forEach(visit);
  else visit(server.pid);
  return { cpuSeconds, rssBytes };
}

/** Busy and total CPU time of the whole machine, in clock ticks summed over all cores (Linux /proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const [, ...fields] = safeRead('/proc/stat').split('\n')[0]!.trim().split(/\s+/);
  const ticks = fields.map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  // idle and iowait are fields 4 and 5 of the cpu line
  return { busy: total - ticks[3]! - ticks[4]!, total };
}

/** Busy cores of the whole machine over the next `ms`. */
export async function machineBusyCores(ms: number): Promise<number> {
  const before = machineTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = machineTicks();
  return ((after.busy - before.busy) / (after.total - before.total)) * cpus().length;
}

export interface CpuUse {
  /** Cores the server's processes kept busy. */
  server: number;
  /** Cores this process (autocannon) kept busy. */
  bench: number;
  /** Cores busy with anything else on the machine (PostgreSQL; foreign processes: noise). */
  other: number;
}

/** Starts measuring CPU use; call the returned function at the end of the interval. */
export function cpuMeter(target: Pick<ServerProcess, 'pid' | 'wrapped'>): () => CpuUse {
  const server = serverUsage(target).cpuSeconds;
  const machine = machineTicks();
  const bench = process.cpuUsage();
  const started = performance.now();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const serverCores = (serverUsage(target).cpuSeconds - server) / seconds;
    const benchUse = process.cpuUsage(bench);
    const benchCores = (benchUse.user + benchUse.system) / 1e6 / seconds;
    const now = machineTicks();
    const machineCores = ((now.busy - machine.busy) / (now.total - machine.total)) * cpus().length;
    return { server: serverCores, bench: benchCores, other: machineCores - serverCores - benchCores };
  };
}

const safeReaddir = (path: string): string[] => {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
};

const safeRead = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/** Unlabelled samples of the Prometheus text format at GET /metrics. */
export async function readMetrics(url: string, token: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*) (\S+)$/.exec(line);
    if (match) values[match[1]!] = Number(match[2]);
  }
  return values;
}
