import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, resolveLocal, runtimeClosure, sourceFiles, SRC } from './import-graph.ts';

/** The folder of a source file; files at the top of src/ (app, runtime, server, cli) compose everything and are no folder. */
const folderOf = (file: string): string | undefined => (file.includes('/') ? file.split('/')[0] : undefined);

function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles()) {
    const from = folderOf(file);
    if (!from) continue;
    for (const specifier of importsOf(file)) {
      const target = resolveLocal(file, specifier);
      const to = target && folderOf(target);
      if (!to || to === from) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)?.add(to);
    }
  }
  return graph;
}

/** Every cycle between folders, as a path like ['auth', 'sessions', 'auth']. */
function folderCycles(graph: Map<string, Set<string>>): string[][] {
  const cycles: string[][] = [];
  const walk = (node: string, path: string[]) => {
    for (const next of graph.get(node) ?? []) {
      if (next === path[0]) cycles.push([...path, next]);
      else if (!path.includes(next) && next > path[0]!) walk(next, [...path, next]);
    }
  };
  for (const start of graph.keys()) walk(start, [start]);
  return cycles;
}

describe('architecture', () => {
  it('no import cycle between folders of src/ (type-only imports included)', () => {
    expect(folderCycles(folderGraph())).toEqual([]);
  });

  it('http/ is the generic edge: it imports no domain folder', () => {
    const allowed = new Set(['http', 'lib', 'config']);
    expect([...(folderGraph().get('http') ?? [])].filter((to) => !allowed.has(to))).toEqual([]);
  });

  it('the resource-server middleware and the client load none of the server’s database, native or server-only packages', () => {
    const serverOnly = [
      'better-sqlite3',
      'pg',
      'ioredis',
      'kysely',
      '@node-rs/argon2',
      'bcryptjs',
      'zod',
      'tsx',
      'pino',
      'prom-client',
      'helmet',
      'express-rate-limit',
      'commander',
      '@asteasolutions/zod-to-openapi',
      'otpauth',
      'qrcode',
    ];
    for (const entry of ['express/index.ts', 'client/index.ts']) {
      const { packages, files } = runtimeClosure(entry);
      expect(
        [...packages].filter((p) => serverOnly.includes(p)),
        entry,
      ).toEqual([]);
      // Nor any server module that would pull them in later.
      expect(
        [...files].filter((f) => /^(db|config|users|sessions|auth|revocation|audit|cli|mfa)\//.test(f)),
        entry,
      ).toEqual([]);
    }
  });

  it('no source file over 250 lines, and no `req.auth!`', () => {
    for (const file of sourceFiles()) {
      const text = readFileSync(join(SRC, file), 'utf8');
      expect(text.split('\n').length, file).toBeLessThanOrEqual(250);
      expect(text.includes('req.auth!'), file).toBe(false);
    }
  });
});
