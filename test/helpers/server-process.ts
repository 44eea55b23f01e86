import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const TSX = 'node_modules/.bin/tsx';

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

/** A real Tessera server process (src/server.ts under tsx) with `env`; resolves once it listens. */
export function startServerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(TSX, ['src/server.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('tessera listening')) resolve(child);
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
