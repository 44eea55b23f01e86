import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { bearerFailure, notFound } from '../lib/errors.ts';
import { safeEqual } from '../lib/hash.ts';
import { READS_NO_INPUT } from './common-schemas.ts';
import { endpoint, type Endpoint } from './endpoint.ts';

const Status = z.object({ status: z.literal('ok') }).meta({ id: 'Status' });

/** /readyz's answer: each dependency (database, redis) and whether it answered in time. */
const readiness = (status: 'ok' | 'unavailable', database: boolean) =>
  z
    .object({ status: z.literal(status), checks: z.record(z.string(), z.boolean()) })
    .meta({ id: status === 'ok' ? 'Ready' : 'NotReady', example: { status, checks: { database } } });

const MetricsText = z.string().meta({
  description: 'The Prometheus text exposition format (version 0.0.4).',
  example:
    '# HELP tessera_logins_total Login attempts by outcome\n# TYPE tessera_logins_total counter\ntessera_logins_total{outcome="success"} 42\n',
});

const OpenApiDocument = z
  .object({
    openapi: z.string().meta({ example: '3.1.0' }),
    info: z.object({ title: z.string().meta({ example: 'Tessera' }), version: z.string().meta({ example: '0.1.0' }) }).loose(),
    paths: z.record(z.string(), z.unknown()),
  })
  .loose()
  .meta({ id: 'OpenApiDocument', description: 'This document.' });

/**
 * How long /readyz waits for one dependency before counting it down. A healthy database answers
 * `select 1` in milliseconds, even with a busy pool, and Redis gives up on its own PING after
 * COMMAND_TIMEOUT_MS; a check still pending after two seconds has a dependency that is as good as
 * down for the requests behind it. Under the 5 s health-check timeout of the usual load
 * balancers, so they get a 503 that names the check rather than a timeout of their own.
 */
export const READY_CHECK_TIMEOUT_MS = 2000;

/** A readiness check's answer: false if it fails, or does not answer within READY_CHECK_TIMEOUT_MS (a frozen dependency). */
export function answersInTime(check: () => Promise<boolean>): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => resolve(false), READY_CHECK_TIMEOUT_MS);
    Promise.resolve()
      .then(check)
      .then(resolve, () => resolve(false))
      .finally(() => clearTimeout(deadline));
  });
}

/** healthz (process up), readyz (dependencies answer, each in time: answersInTime), metrics, openapi.json. */
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
      responses: { 200: { schema: Status, description: 'Up' }, no4xx: READS_NO_INPUT },
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
      responses: {
        200: { schema: readiness('ok', true), description: 'Ready' },
        503: { schema: readiness('unavailable', false), description: 'A dependency is down' },
        no4xx: READS_NO_INPUT,
      },
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
      responses: { 200: { schema: MetricsText, contentType: 'text/plain; version=0.0.4', description: 'Prometheus text format' } },
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
      responses: { 200: { schema: OpenApiDocument, description: 'OpenAPI 3.1' }, no4xx: READS_NO_INPUT },
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
