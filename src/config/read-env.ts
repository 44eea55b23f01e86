import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { RawEnv } from './schema.ts';

/**
 * The process environment over a `.env` file in the working directory, if any.
 * This is the one place that reads process.env; everything else gets a Config.
 */
export function readEnv(file = '.env'): RawEnv {
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}
