import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { TEST_DIALECT } from '../helpers/database.ts';
import { PASSWORD } from '../helpers/test-app.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;
const silent = () => createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));

/** The embedded default as `npm start` runs it: development, SQLite under DATA_DIR, generated secrets. */
describe.runIf(TEST_DIALECT === 'sqlite')('files under DATA_DIR are private (0700 folder, 0600 files)', () => {
  const dirs: string[] = [];
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const start = async (dataDir: string) => {
    const config = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    runtime = await openRuntime(config, systemClock, silent());
    const app = createApp({ config, ...runtime, clock: systemClock, logger: silent() });
    // Write something, so that SQLite has its -wal and -shm files.
    await request(app).post('/api/auth/signup').send({ email: 'modes@example.com', password: PASSWORD }).expect(201);
  };

  it('a new data folder is 0700; the database, its -wal/-shm and secrets.json are 0600', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tessera-modes-'));
    dirs.push(root);
    const dataDir = join(root, 'data');
    await start(dataDir);
    expect(modeOf(dataDir)).toBe(0o700);
    for (const file of ['tessera.db', 'tessera.db-wal', 'tessera.db-shm', 'secrets.json']) {
      expect(modeOf(join(dataDir, file)), file).toBe(0o600);
    }
  });

  it('an existing world-readable folder and files from an older version are tightened at start', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tessera-modes-'));
    dirs.push(root);
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'tessera.db'), '', { mode: 0o644 });
    chmodSync(join(dataDir, 'tessera.db'), 0o644);
    writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify({ JWT_REFRESH_SECRET: 'x'.repeat(43) }), { mode: 0o644 });
    chmodSync(join(dataDir, 'secrets.json'), 0o644);

    await start(dataDir);
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(join(dataDir, 'tessera.db'))).toBe(0o600);
    expect(modeOf(join(dataDir, 'secrets.json'))).toBe(0o600);
  });
});

describe.runIf(TEST_DIALECT === 'sqlite')('a shared folder is not taken over', () => {
  it('a sticky, world-writable DATA_DIR (like /tmp) keeps its mode', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tessera-shared-'));
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const config = loadConfig({ NODE_ENV: 'development', DATA_DIR: shared, LOG_LEVEL: 'silent' });
    const runtime = await openRuntime(config, systemClock, silent());
    await runtime.close();
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
    rmSync(root, { recursive: true, force: true });
  });
});
