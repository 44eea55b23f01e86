import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'] as const;

/**
 * What the app answers, asked over HTTP as a client would (no router internals): at each
 * documented path (a parameter filled in), every method; a method the path does not serve is a
 * 405 whose Allow header lists the ones it does.
 */
async function answeredRoutes(t: TestApp, paths: string[]): Promise<{ served: string[]; allow: Map<string, string> }> {
  const served: string[] = [];
  const allow = new Map<string, string>();
  for (const path of paths) {
    const url = path.replace(/\{\w+\}/g, 'some-id');
    for (const method of METHODS) {
      const res = await request(t.app)[method](url);
      expect(res.status, `${method.toUpperCase()} ${path}`).not.toBe(404);
      if (res.status === 405) allow.set(path, res.headers.allow as string);
      else if (method !== 'head') served.push(`${method} ${path}`);
    }
  }
  return { served, allow };
}

describe('every route is documented', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown>; security?: unknown }>> };
  beforeAll(async () => {
    t = await createTestApp();
    doc = (await request(t.app).get('/openapi.json')).body;
  });
  afterAll(() => t.close());

  it('each documented operation is served, and nothing else at its path (each other method is a 405 naming the documented ones)', async () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    expect(documented.length).toBeGreaterThan(15);
    const { served, allow } = await answeredRoutes(t, Object.keys(doc.paths));
    expect(served.sort()).toEqual(documented.sort());
    for (const [path, ops] of Object.entries(doc.paths)) {
      const methods = Object.keys(ops).flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()]));
      expect(allow.get(path), path).toBe(methods.sort().join(', '));
    }
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
