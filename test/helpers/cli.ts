import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli.ts';

/**
 * The CLI on a fresh SQLite file, with its output and errors kept per line. Its stdin is not a
 * terminal: empty for `run`, `text` for `runWithStdin` (as `printf '%s\n' "$PW" | tessera …`).
 */
export function cli(overrides: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  const env = {
    NODE_ENV: 'test',
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`,
    // Fixed secrets: NODE_ENV=test would otherwise draw new ones for every command.
    JWT_REFRESH_SECRET: 'r'.repeat(40),
    KEY_ENCRYPTION_SECRET: 'k'.repeat(40),
    ...overrides,
  };
  const out: string[] = [];
  const err: string[] = [];
  const prompts = new PassThrough();
  const runWithStdin = (text: string, ...argv: string[]) =>
    runCli(
      argv,
      env,
      (line) => out.push(line),
      (line) => err.push(line),
      { stdin: Readable.from(text ? [text] : []), prompts },
    );
  const run = (...argv: string[]) => runWithStdin('', ...argv);
  return { env, out, err, run, runWithStdin };
}
