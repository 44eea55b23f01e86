import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nothing listens on right now (for a server started by another process). */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A real Tessera server process (src/server.ts under tsx) with `env`; resolves once it listens.
 * Node with tsx's loader, not the tsx command, which relays a signal to its child and SIGKILLs
 * it unless the child acknowledges within 30 ms: a server busy when SIGTERM comes often has not.
 * Production runs node itself too.
 */
export function startServerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('tessera listening')) return;
      // Listening: stop collecting (a server under load logs a line a request), but keep reading
      // its pipes, or the server would block once they fill.
      child.stdout.off('data', onData).resume();
      child.stderr.off('data', onData).resume();
      resolve(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

/** SIGTERM, then waits for the process to exit (at once if it already has). */
export const stopServerProcess = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

/** How a server process ended: its exit code (null after a signal), the signal, and when. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** Resolves once `child` exits (at once if it already has), with performance.now() of the exit. */
export const exitOf = (child: ChildProcess): Promise<ProcessExit> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode, at: performance.now() });
      return;
    }
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
  });
