import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { RawEnv } from './schema.ts';

/** What a `.env` file held besides its values: each key's line, and the lines that were no `NAME=value`. */
export interface EnvFile {
  path: string;
  /** Each key by the line (from 1) that sets it last, as that line's value is the one kept. */
  keys: Map<string, number>;
  malformedLines: number[];
}

/**
 * The key under which readEnv's result carries its EnvFile, so that loadConfig reports an unknown
 * key or a malformed line of `.env` in the same list as every other problem while callers keep
 * passing one object (`loadConfig(readEnv())`). A symbol: never a variable name, and Object.entries
 * and zod leave it alone.
 */
export const ENV_FILE = Symbol('.env');

/** The environment as read, with what its `.env` file held if there was one. */
export type Env = RawEnv & { [ENV_FILE]?: EnvFile };

/** `NAME=value`, maybe after `export`, as Node's parseEnv reads it. */
const ASSIGNMENT = /^\s*(?:export\s+)?([^\s=#]+)\s*=\s*(.*)$/;
const QUOTES = ['"', "'", '`'];

/**
 * Finds each key's line and the malformed lines, and blanks the malformed lines out: Node's
 * parseEnv does not skip a line without `=`, it glues it to the next line's name (`junk\nPORT=1`
 * set a variable called "junk\nPORT"), so one stray line silently dropped the setting after it.
 */
function scan(path: string, text: string): { clean: string; file: EnvFile } {
  const lines = text.split('\n');
  const file: EnvFile = { path, keys: new Map(), malformedLines: [] };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (/^\s*(#|$)/.test(line)) continue;
    const match = ASSIGNMENT.exec(line);
    if (!match) {
      file.malformedLines.push(i + 1);
      lines[i] = '';
      continue;
    }
    file.keys.set(match[1] ?? '', i + 1);
    // A quoted value without its closing quote on this line runs on to the line that has one, as in
    // parseEnv (with none, the line alone is the value); the lines it spans are value, not assignments.
    const value = match[2] ?? '';
    const quote = QUOTES.find((q) => value.startsWith(q));
    if (quote && !value.slice(1).includes(quote)) {
      const closing = lines.findIndex((next, j) => j > i && next.includes(quote));
      if (closing !== -1) i = closing;
    }
  }
  return { clean: lines.join('\n'), file };
}

/**
 * The process environment over a `.env` file in the working directory, if any.
 * This is the one place that reads process.env; everything else gets a Config.
 */
export function readEnv(path = '.env'): Env {
  if (!existsSync(path)) return { ...process.env };
  const { clean, file } = scan(path, readFileSync(path, 'utf8'));
  return { ...parseEnv(clean), ...process.env, [ENV_FILE]: file };
}
