/**
 * Writes Tessera's OpenAPI document to the file named by the first argument (stdout without one):
 * the document the app itself serves at /openapi.json, built by createApp with every endpoint it
 * mounts, on a throwaway in-memory database. `npm run lint:openapi` lints it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createLogger } from '../src/lib/logger.ts';
import { openRuntime } from '../src/runtime.ts';

async function openApiDocument(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-openapi-'));
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', DATA_DIR: dir, LOG_LEVEL: 'silent' });
  const logger = createLogger('silent');
  const runtime = await openRuntime(config, systemClock, logger);
  try {
    const server = createApp({ config, ...runtime, clock: systemClock, logger }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/openapi.json`);
      if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
      return `${JSON.stringify(await res.json(), null, 2)}\n`;
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const out = process.argv[2];
const document = await openApiDocument();
if (out) writeFileSync(out, document);
else process.stdout.write(document);
