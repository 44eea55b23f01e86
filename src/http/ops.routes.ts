import { Router } from 'express';
import { z } from 'zod';
import type { Registry } from 'prom-client';
import type { ApiDocs } from './openapi.ts';

/** healthz (process up), readyz (dependencies answer), metrics, openapi.json. */
export function createOpsRouter(deps: {
  ready: () => Promise<Record<string, boolean>>;
  registry: Registry;
  docs: ApiDocs;
}): Router {
  const router = Router();
  const Status = z.object({ status: z.string() }).loose();
  deps.docs.describe({ method: 'get', path: '/healthz', summary: 'Liveness', responses: { 200: { schema: Status, description: 'Up' } } });
  deps.docs.describe({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: the database (and Redis, if configured) answer',
    responses: { 200: { schema: Status, description: 'Ready' }, 503: { schema: Status, description: 'A dependency is down' } },
  });
  deps.docs.describe({ method: 'get', path: '/metrics', summary: 'Prometheus metrics', responses: { 200: { description: 'Text format' } } });
  deps.docs.describe({ method: 'get', path: '/openapi.json', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } });

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await deps.ready();
    const ok = Object.values(checks).every(Boolean);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(deps.docs.document());
  });
  return router;
}
