import { Router, type RequestHandler } from 'express';
import { safeEqual } from '../lib/hash.ts';
import { bearerToken } from './authenticate.ts';
import { bearerFailure, notFound } from './errors.ts';
import { z } from 'zod';
import type { Registry } from 'prom-client';
import type { ApiDocs } from './openapi.ts';

/** healthz (process up), readyz (dependencies answer), metrics, openapi.json. */
export function createOpsRouter(deps: {
  ready: () => Promise<Record<string, boolean>>;
  registry: Registry;
  docs: ApiDocs;
  /** METRICS_TOKEN; without it /metrics is open in development and absent in production. */
  metricsToken: string | undefined;
  production: boolean;
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
  deps.docs.describe({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics: Bearer METRICS_TOKEN when it is set; not served in production without it',
    responses: { 200: { description: 'Text format' }, 401: ['missing_token', 'invalid_token'], 404: ['not_found'] },
  });
  deps.docs.describe({ method: 'get', path: '/openapi.json', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } });

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await deps.ready();
    const ok = Object.values(checks).every(Boolean);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks });
  });
  router.get('/metrics', metricsGuard(deps.metricsToken, deps.production), async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(deps.docs.document());
  });
  return router;
}

/** Counters and process details are for the operator: a token when one is set, never public in production. */
function metricsGuard(token: string | undefined, production: boolean): RequestHandler {
  return (req, _res, next) => {
    if (token === undefined) return next(production ? notFound('No such endpoint.') : undefined);
    const presented = bearerToken(req);
    if (presented === undefined) return next(bearerFailure('missing_token', 'GET /metrics needs the Bearer METRICS_TOKEN.'));
    if (!safeEqual(presented, token)) return next(bearerFailure('invalid_token', 'This is not the METRICS_TOKEN.'));
    next();
  };
}
