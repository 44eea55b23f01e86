import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  /** A nested router (`stack`), or mountEndpoints' table of per-path routers (`routers`). */
  handle?: { stack?: Layer[]; routers?: { stack: Layer[] }[] };
}

/** The route layers of a router stack, nested routers included. */
const routeLayers = (stack: Layer[]): Layer[] =>
  stack.flatMap((layer) => [
    ...(layer.route ? [layer] : []),
    ...routeLayers(layer.handle?.stack ?? []),
    ...(layer.handle?.routers ?? []).flatMap((router) => routeLayers(router.stack)),
  ]);

/** Every method + path the Express app answers, read from its router (not from a hand-kept list). */
function registeredRoutes(t: TestApp): [string, string][] {
  return routeLayers((t.app.router as unknown as { stack: Layer[] }).stack).flatMap((layer) =>
    Object.keys(layer.route!.methods)
      .filter((method) => method !== '_all')
      .map((method): [string, string] => [method, layer.route!.path.replace(/:(\w+)/g, '{$1}')]),
  );
}

describe('every route is documented', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown>; security?: unknown }>> };
  beforeAll(async () => {
    t = await createTestApp();
    doc = (await request(t.app).get('/openapi.json')).body;
  });
  afterAll(() => t.close());

  it('each registered method and path has an operation in /openapi.json, and the other way round', () => {
    const routes = registeredRoutes(t);
    expect(routes.length).toBeGreaterThan(15);
    for (const [method, path] of routes) expect(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`).toBeDefined();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual(routes.map(([m, p]) => `${m} ${p}`).sort());
  });

  it('each operation has a unique operationId and declares its security (security: [] when public)', () => {
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) expect(op.security).toBeDefined();
  });

  it('every JSON write route documents 400, 413 and 415, and every /api/auth route 429', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (method !== 'get')
          for (const status of ['400', '413', '415']) expect(op.responses[status], `${method} ${path} ${status}`).toBeDefined();
        if (path.startsWith('/api/auth/')) expect(op.responses['429'], `${method} ${path} 429`).toBeDefined();
      }
    }
  });
});
