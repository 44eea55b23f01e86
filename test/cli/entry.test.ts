import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- bin/ is plain JavaScript (it runs before anything is built); it has no types.
import { entryFor } from '../../bin/entry.js';

type Entry = { via: 'dist' | 'tsx'; file: string; stale: boolean };
const pick = entryFor as (root: string, name: string, tsxAvailable: boolean) => Entry;

/** A package root with src/cli.ts and dist/cli.js, their times set (seconds since the epoch). */
function root(times: { src: number; dist?: number }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-entry-'));
  mkdirSync(join(dir, 'src', 'users'), { recursive: true });
  writeFileSync(join(dir, 'src', 'cli.ts'), '');
  writeFileSync(join(dir, 'src', 'users', 'deep.ts'), '');
  utimesSync(join(dir, 'src', 'cli.ts'), times.src - 10, times.src - 10);
  utimesSync(join(dir, 'src', 'users', 'deep.ts'), times.src, times.src);
  if (times.dist !== undefined) {
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'cli.js'), '');
    utimesSync(join(dir, 'dist', 'cli.js'), times.dist, times.dist);
  }
  return dir;
}

/** The `tessera` command runs compiled code whenever dist/ is current: no TypeScript at run time. */
describe('which code the tessera command runs', () => {
  it('the compiled dist/ when it is newer than every source file', () => {
    const dir = root({ src: 1_000_000, dist: 2_000_000 });
    expect(pick(dir, 'cli', true)).toEqual({ via: 'dist', file: join(dir, 'dist', 'cli.js'), stale: false });
  });

  it('the sources through tsx when any source file (however deep) is newer, in a checkout with tsx', () => {
    const dir = root({ src: 3_000_000, dist: 2_000_000 });
    expect(pick(dir, 'cli', true)).toMatchObject({ via: 'tsx', stale: true });
  });

  it('dist/ even when stale if tsx is not installed (a production install), flagged as stale', () => {
    const dir = root({ src: 3_000_000, dist: 2_000_000 });
    expect(pick(dir, 'cli', false)).toMatchObject({ via: 'dist', stale: true });
  });

  it('an installed package (no src/) runs dist/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-entry-'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'cli.js'), '');
    expect(pick(dir, 'cli', true)).toMatchObject({ via: 'dist', stale: false });
  });
});
