import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_DIALECT } from './helpers/database.ts';
import { freePort, stopServerProcess } from './helpers/server-process.ts';

/** Starts the server entry and resolves with the output up to and including its start-up line; stops it. */
async function startUpLine(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, NODE_ENV: 'test', DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-listen-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    return await new Promise<string>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n').find((l) => l.includes('tessera listening'));
        if (line) resolve(line);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
    });
  } finally {
    await stopServerProcess(child);
  }
}

/** Issue 28 item 4: the start-up line gives the URL to open and the API reference. */
describe.runIf(TEST_DIALECT === 'sqlite')('the start-up line', () => {
  it('JSON: url and docs fields (http://localhost:<port>), and the message starts with "tessera listening"', async () => {
    const port = await freePort();
    const line = JSON.parse(await startUpLine({ PORT: String(port), LOG_FORMAT: 'json' })) as Record<string, unknown>;
    expect(line.url).toBe(`http://localhost:${port}`);
    expect(line.docs).toBe(`http://localhost:${port}/docs`);
    expect(line.port).toBe(port);
    expect(line.msg).toBe(`tessera listening on http://localhost:${port} (API reference: http://localhost:${port}/docs)`);
  });

  it('pretty (the development format): one readable line with the URL and /docs', async () => {
    const port = await freePort();
    const line = await startUpLine({ PORT: String(port), LOG_FORMAT: 'pretty' });
    expect(line).toContain(`INFO: tessera listening on http://localhost:${port} (API reference: http://localhost:${port}/docs)`);
  });

  it('PORT=0: the port the system chose; APP_URL on another host is this server behind a proxy, and is what it gives', async () => {
    const chosen = JSON.parse(await startUpLine({ PORT: '0', LOG_FORMAT: 'json' })) as { url: string; port: number };
    expect(chosen.port).toBeGreaterThan(0);
    expect(chosen.url).toBe(`http://localhost:${chosen.port}`);
    const proxied = JSON.parse(await startUpLine({ PORT: '0', LOG_FORMAT: 'json', APP_URL: 'https://auth.example.com/' })) as Record<
      string,
      unknown
    >;
    expect(proxied.url).toBe('https://auth.example.com');
    expect(proxied.docs).toBe('https://auth.example.com/docs');
  });
});
