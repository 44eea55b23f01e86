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

  it('a mistyped DATABASE_URL: production refuses to start naming DATABASE_URL; development warns and runs', async () => {
    const typo = { DATABSE_URL: 'postgres://tessera@db.example.com/tessera' };
    const hint = 'DATABSE_URL is not a setting; did you mean DATABASE_URL?';
    const secrets = { JWT_REFRESH_SECRET: 'r'.repeat(40), KEY_ENCRYPTION_SECRET: 'k'.repeat(40) };
    const production = await runServer({ NODE_ENV: 'production', APP_URL: 'https://auth.example.com', ...secrets, ...typo });
    expect(production.code).toBe(1);
    expect(production.output).toContain(hint);
    expect(production.output).toContain('ALLOW_UNKNOWN_SETTINGS=true');
    expect(production.output).not.toContain('tessera listening');

    // Development starts (on its SQLite default) and says so, once, before it listens.
    const child = spawn('node_modules/.bin/tsx', ['src/server.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'development',
        DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-start-')),
        LOG_FORMAT: 'json',
        PORT: '0',
        ...typo,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('tessera listening')) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
    }).finally(() => child.kill('SIGTERM'));
    const warnings = output.split('\n').filter((line) => line.includes('"level":40') && line.includes(hint));
    expect(warnings).toHaveLength(1);
  });
});
