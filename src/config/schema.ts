import { z } from 'zod';
import { parseDurationMs } from './duration.ts';

export { ALGORITHMS, isHmac, type Algorithm } from '../lib/algorithms.ts';

/** The environment as read: every value a string, or absent. */
export type RawEnv = Record<string, string | undefined>;

/*
 * The zod types settings are declared with (settings.ts). Each parses the string a person
 * writes in the environment, so a declared default is written the same way ("15m", "10").
 * Messages leave out the variable: the parse error is reported as "<VARIABLE>: <message>".
 */

/** A duration ("15m", "7d", "500ms", "90"), in seconds, or in milliseconds with unit 'ms'. */
export const duration = (unit: 's' | 'ms' = 's') =>
  z.string().transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as 500ms, 90s, 15m, 12h or 7d' });
      return z.NEVER;
    }
    return unit === 'ms' ? ms : Math.round(ms / 1000);
  });

export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const text = z.string().min(1);

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** A comma-separated list; blanks are dropped. */
export const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/** Express `trust proxy`: `true`/`false`, a hop count, or addresses as given; empty means unset. */
export const trustProxy = z.string().transform((value): boolean | number | string | undefined => {
  if (value === '') return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
});

/**
 * Where the data lives: SQLite (`sqlite:<path>`, `sqlite::memory:`) or PostgreSQL (`postgres://`,
 * or `postgresql://` as libpq and most hosts write it). Checked here, with the other settings,
 * so that a wrong scheme is not the one problem found only once the database is opened.
 */
export const databaseUrl = text.refine(
  (url) => /^sqlite:./.test(url) || (/^postgres(ql)?:\/\//.test(url) && URL.canParse(url)),
  'must be sqlite:<path>, sqlite::memory: or postgres://user:password@host:5432/database (postgresql:// too)',
);
