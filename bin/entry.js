// Which code the `tessera` command runs: the compiled dist/ (fast, no dev dependency), or the
// TypeScript sources through tsx when dist/ is missing or older than them (a checkout being
// edited). Plain JavaScript, so it runs before anything is built.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time of any file under `dir` (0 if it does not exist). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * @param {string} root the package root
 * @param {string} name the module, e.g. 'cli'
 * @param {boolean} tsxAvailable whether tsx can be loaded (a dev dependency)
 * @returns {{ via: 'dist' | 'tsx', file: string, stale: boolean }}
 */
export function entryFor(root, name, tsxAvailable) {
  const compiled = join(root, 'dist', `${name}.js`);
  const source = join(root, 'src', `${name}.ts`);
  const built = existsSync(compiled) ? statSync(compiled).mtimeMs : 0;
  const stale = built === 0 || newest(join(root, 'src')) > built;
  if (stale && tsxAvailable && existsSync(source)) return { via: 'tsx', file: source, stale };
  return { via: 'dist', file: compiled, stale };
}
