import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli.ts';

/** The CLI on a fresh SQLite file, with its output and errors kept per line. */
export function cli() {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  const env = {
    NODE_ENV: 'test',
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`,
    // Fixed secrets: NODE_ENV=test would otherwise draw new ones for every command.
    JWT_REFRESH_SECRET: 'r'.repeat(40),
    KEY_ENCRYPTION_SECRET: 'k'.repeat(40),
  };
  const out: string[] = [];
  const err: string[] = [];
  const run = (...argv: string[]) =>
    runCli(
      argv,
      env,
      (line) => out.push(line),
      (line) => err.push(line),
    );
  return { env, out, err, run };
}
