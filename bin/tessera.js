#!/usr/bin/env node
// The `tessera` command: the compiled CLI in dist/ (built by `npm install`), or the sources
// through tsx in a checkout whose dist/ is older than its sources.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { entryFor } from './entry.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let tsxAvailable = false;
try {
  createRequire(import.meta.url).resolve('tsx/esm/api');
  tsxAvailable = true;
} catch {
  // A production install: dev dependencies (tsx, TypeScript) are not there, dist/ is.
}
const entry = entryFor(root, 'cli', tsxAvailable);
if (entry.via === 'tsx') {
  const { register } = await import('tsx/esm/api');
  register();
} else if (entry.stale) {
  console.error('tessera: dist/ is missing or older than src/; run `npm run build`');
}
const { main } = await import(pathToFileURL(entry.file).href);
await main();
