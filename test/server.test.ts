import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from './helpers/database.ts';

/** Runs the server entry (sources, through tsx) to its exit; resolves with its code and output. */
function runServer(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-start-'));
  const child = spawn('node_modules/.bin/tsx', ['src/server.ts'], {
    env: { ...process.env, NODE_ENV: 'test', DATA_DIR: dir, LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, output });
    }),
  );
}

describe.runIf(TEST_DIALECT === 'sqlite')('starting the server', () => {
  let blocker: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve())));

  it('a port in use: one line naming the port and PORT, no "listening", exit code 78', async () => {
    blocker = createServer();
    const port = await new Promise<number>((resolve) => {
      blocker?.listen(0, () => {
        const address = blocker?.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
    const { code, output } = await runServer({ PORT: String(port) });
    expect(code).toBe(78);
    expect(output).not.toContain('tessera listening');
    const fatal = output.split('\n').filter((line) => line.includes('"level":60'));
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toContain(`port ${port} is already in use`);
    expect(fatal[0]).toContain('set PORT to a free port');
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('every configuration problem in one message on stderr, exit code 1, no stack', async () => {
    const { code, output } = await runServer({ NODE_ENV: 'production', PORT: 'eighty' });
    expect(code).toBe(1);
    for (const name of ['PORT', 'JWT_REFRESH_SECRET', 'KEY_ENCRYPTION_SECRET']) expect(output).toContain(name);
    expect(output).not.toMatch(/\n\s+at /);
  });
});
