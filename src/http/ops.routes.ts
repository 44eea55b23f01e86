import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { bearerFailure, notFound } from '../lib/errors.ts';
import { safeEqual } from '../lib/hash.ts';
import { endpoint, type Endpoint } from './endpoint.ts';

const Status = z.object({ status: z.string() }).loose().meta({ id: 'Status' });

/** healthz (process up), readyz (dependencies answer), metrics, openapi.json. */
export function opsEndpoints(deps: {
  ready: () => Promise<Record<string, boolean>>;
  registry: Registry;
  document: () => object;
}): Endpoint[] {
  return [
    endpoint({
      method: 'get',
      path: '/healthz',
      operationId: 'healthz',
      summary: 'Liveness',
      access: 'public',
      responses: { 200: { schema: Status, description: 'Up' } },
      handler({ res }) {
        res.json({ status: 'ok' });
      },
    }),
    endpoint({
      method: 'get',
      path: '/readyz',
      operationId: 'readyz',
      summary: 'Readiness: the database (and Redis, if configured) answer',
      access: 'public',
      responses: { 200: { schema: Status, description: 'Ready' }, 503: { schema: Status, description: 'A dependency is down' } },
      async handler({ res }) {
        const checks = await deps.ready();
        const ok = Object.values(checks).every(Boolean);
        res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks });
      },
    }),
    endpoint({
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics: Bearer METRICS_TOKEN when it is set; not served in production without it',
      access: 'metrics',
      responses: { 200: { description: 'Prometheus text format' } },
      async handler({ res }) {
        res.type(deps.registry.contentType).send(await deps.registry.metrics());
      },
    }),
    endpoint({
      method: 'get',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'This document',
      access: 'public',
      responses: { 200: { description: 'OpenAPI 3.1' } },
      handler({ res }) {
        res.json(deps.document());
      },
    }),
  ];
}

/** Counters and process details are for the operator: a token when one is set, never public in production. */
export function metricsGuard(token: string | undefined, production: boolean): RequestHandler {
  return (req, _res, next) => {
    if (token === undefined) return next(production ? notFound('No such endpoint.') : undefined);
    const header = req.headers.authorization;
    const presented = header?.match(/^Bearer +(\S+) *$/i)?.[1];
    if (header === undefined) return next(bearerFailure('missing_token', 'GET /metrics needs the Bearer METRICS_TOKEN.'));
    if (presented === undefined || !safeEqual(presented, token))
      return next(bearerFailure('invalid_token', 'This is not the METRICS_TOKEN.'));
    next();
  };
}
