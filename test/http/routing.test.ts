import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express, { type RequestHandler } from 'express';
import { endpoint, mountEndpoints, type Access } from '../../src/http/endpoint.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

const NO_GUARDS: Record<Access, RequestHandler[]> = { public: [], bearer: [], admin: [], refresh: [], metrics: [], client: [] };
const plain = (path: string) =>
  endpoint({
    method: 'get',
    path,
    operationId: path,
    summary: path,
    access: 'public',
    responses: { 200: { description: 'ok' } },
    handler: ({ res }) => {
      res.json({ path });
    },
  });

/** Routing as Express's defaults have it (case-insensitive, a trailing slash ignored), fixed paths and parameters alike. */
describe('routing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('a fixed path matches case-insensitively and with one trailing slash; HEAD is answered like GET', async () => {
    for (const path of ['/api/public', '/API/Public', '/api/public/']) {
      const res = await request(t.app).get(path);
      expect(res.status, path).toBe(200);
      expect(res.body).toEqual({ message: 'Anyone may read this.' });
    }
    const head = await request(t.app).head('/api/public');
    expect(head.status).toBe(200);
    expect(head.text).toBeUndefined();
  });

  it('a GET reads no body: a malformed or oversized one is ignored, not parsed', async () => {
    for (const body of ['{"broken', 'x'.repeat(20_000)]) {
      const res = await request(t.app).get('/api/public').set('Content-Type', 'application/json').send(body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: 'Anyone may read this.' });
    }
  });

  it('a path that only looks like a route is 404 not_found', async () => {
    for (const path of ['/api/public/x', '//api/public', '/api/%70ublic']) {
      const res = await request(t.app).get(path);
      expect(res.status, path).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
  });

  it('a method the route lacks, and OPTIONS without a CORS preflight, is 405, on fixed paths and paths with parameters alike', async () => {
    for (const [method, path, allow] of [
      ['post', '/api/public', 'GET, HEAD'],
      ['delete', '/api/auth/login', 'POST'],
      ['options', '/API/auth/login/', 'POST'],
      ['options', '/api/auth/sessions/x', 'DELETE'],
      ['get', '/api/auth/sessions/x', 'DELETE'],
    ] as const) {
      const res = await request(t.app)[method](path);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.allow).toBe(allow);
      expect(res.body.code).toBe('method_not_allowed');
    }
  });

  it('routes with parameters are routed, and their guards still run first', async () => {
    const session = await signupAndLogin(t.app);
    const mine = await request(t.app).get('/api/auth/sessions').set('Authorization', `Bearer ${session.accessToken}`);
    const sessionId = (mine.body as { sessions: { id: string }[] }).sessions[0]!.id;
    expect((await request(t.app).delete(`/api/auth/sessions/${sessionId}`)).status).toBe(401);
    const deleted = await request(t.app).delete(`/API/auth/sessions/${sessionId}/`).set('Authorization', `Bearer ${session.accessToken}`);
    expect(deleted.status).toBe(204);
    expect(
      (
        await request(t.app)
          .put('/api/admin/users/some-id/roles')
          .send({ roles: ['user'] })
      ).status,
    ).toBe(401);
  });

  it('a fixed path that a path with parameters also matches, or one path with parameters under two names, is refused at start', () => {
    for (const order of [
      ['/x/me', '/x/:id'],
      ['/x/:id', '/X/Me'],
    ]) {
      expect(() => mountEndpoints(express.Router(), order.map(plain), NO_GUARDS)).toThrow(/also matched by \/x\/:id/);
    }
    expect(() => mountEndpoints(express.Router(), ['/x/me/more', '/x/:id'].map(plain), NO_GUARDS)).not.toThrow();
    // Two names for one parameter: the first route's 405 would answer the other's methods.
    expect(() => mountEndpoints(express.Router(), ['/x/:id', '/x/:name'].map(plain), NO_GUARDS)).toThrow(
      /\/x\/:id is also matched by \/x\/:name/,
    );
  });
});
