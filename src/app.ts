import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Config } from './config/config.ts';
import type { DatabaseHandle } from './db/create-db.ts';
import type { Clock } from './lib/clock.ts';
import { createAuthService } from './auth/auth.service.ts';
import { createPasswordHasher } from './auth/password.ts';
import { createDeviceCookies } from './auth/device-cookie.ts';
import { createAuditLog } from './audit/audit-log.ts';
import { createAuthRouter } from './auth/auth.routes.ts';
import { MessageResponse, ProtectedResponse } from './auth/auth.schemas.ts';
import { createRequireAuth } from './http/authenticate.ts';
import { createMemoryThrottle, type AccountThrottle } from './http/account-throttle.ts';
import { createCors } from './http/cors.ts';
import { createCsrf } from './http/csrf.ts';
import { createErrorHandler } from './http/error-handler.ts';
import { notFound } from './http/errors.ts';
import { jsonBody } from './http/json-body.ts';
import { createMetrics } from './http/metrics.ts';
import { createApiDocs } from './http/openapi.ts';
import { createOpsRouter } from './http/ops.routes.ts';
import { createRateLimiters, type RateLimiters } from './http/rate-limit.ts';
import { requireRole } from './rbac/require-role.ts';
import type { Revocations } from './revocation/revocations.ts';
import { createSessionRepository } from './sessions/session.repository.ts';
import { createSessionsRouter } from './sessions/sessions.routes.ts';
import { createEndSessions } from './sessions/end-sessions.ts';
import { createAccessTokens } from './tokens/access-token.ts';
import { createJwksRouter } from './tokens/jwks.routes.ts';
import type { Keystore } from './tokens/keystore.ts';
import { createRefreshTokens } from './tokens/refresh-token.ts';
import { createAdminRouter } from './users/admin.routes.ts';
import { createUserRepository } from './users/user.repository.ts';
import { createUsersService } from './users/users.service.ts';
import { VERSION } from './version.ts';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  keystore: Keystore;
  revocations: Revocations;
  clock: Clock;
  logger: Logger;
  /** Shared rate-limit counters (Redis); per-process memory when absent. */
  rateLimiters?: RateLimiters;
  /** Shared (Redis) account throttle; per-process memory when absent. */
  throttle?: AccountThrottle;
  /** Extra readiness checks (e.g. Redis). */
  readiness?: Record<string, () => Promise<boolean>>;
}

/** Builds the Express app from explicit dependencies. Never listens; server.ts does. */
export function createApp(deps: AppDeps): Express {
  const { config, database, keystore, revocations, clock, logger } = deps;
  const db = database.db;
  const users = createUserRepository(db);
  const sessions = createSessionRepository(db);
  const accessTokens = createAccessTokens({
    keystore,
    cacheSize: config.verifyCacheSize,
    clock,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    ttlSeconds: config.jwt.accessTtl,
    clockToleranceSeconds: config.jwt.clockTolerance,
  });
  const refreshTokens = createRefreshTokens({
    secret: config.jwt.refreshSecret,
    clock,
    issuer: config.jwt.issuer,
    ttlSeconds: config.jwt.refreshTtl,
    clockToleranceSeconds: config.jwt.clockTolerance,
  });
  const endSessions = createEndSessions({ sessions, revocations, clock });
  const throttle =
    deps.throttle ?? createMemoryThrottle({ max: config.rateLimit.accountMax, windowMs: config.rateLimit.windowMs }, clock);
  const audit = createAuditLog(db, clock, logger);
  const passwords = createPasswordHasher(config.hashConcurrency);
  const auth = createAuthService({
    config,
    clock,
    logger,
    users,
    sessions,
    accessTokens,
    refreshTokens,
    endSessions,
    throttle,
    audit,
    passwords,
    devices: createDeviceCookies(config.jwt.refreshSecret, clock),
  });
  const usersService = createUsersService({ users, endSessions, audit, clock });
  const csrf = createCsrf(config);
  const metrics = createMetrics({ revocationIndex: revocations.index.size, verifyCache: accessTokens.cacheSize });
  const docs = createApiDocs({ version: VERSION });
  const limiters = deps.rateLimiters ?? createRateLimiters(config);
  const requireAuth = createRequireAuth({
    verify: accessTokens.verify,
    isRevoked: (claims) => revocations.index.isRevoked(claims.sid, claims.jti),
    reloadKeys: () => keystore.reload({ onlyIfCool: true }),
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      crossOriginResourcePolicy: { policy: 'same-site' },
    }),
  );
  app.use(createCors(config.corsOrigins));
  // The per-client limit counts before any body is parsed, so oversized or malformed bodies count too.
  app.use('/api/auth', limiters.perClient);
  app.use(jsonBody());

  const ready = async () => {
    const checks: Record<string, boolean> = {};
    const all = { database: () => database.ping(), ...deps.readiness };
    await Promise.all(
      Object.entries(all).map(async ([name, check]) => {
        checks[name] = await check().catch(() => false);
      }),
    );
    return checks;
  };
  app.use(
    createOpsRouter({ ready, registry: metrics.registry, docs, metricsToken: config.metricsToken, production: config.env === 'production' }),
  );
  app.use(createJwksRouter({ keystore, maxAgeSeconds: Math.min(300, Math.floor(config.keyPollMs / 1000)), docs }));

  app.use(
    '/api/auth',
    createAuthRouter({
      config,
      auth,
      users,
      csrf,
      accessTokens,
      revocations,
      requireAuth,
      onLogin: metrics.login,
      onRefresh: metrics.refresh,
      docs,
    }),
  );
  app.use('/api/auth', createSessionsRouter({ auth, sessions, clock, requireAuth, docs }));

  docs.describe({
    method: 'get',
    path: '/api/public',
    summary: 'No token needed (the same middleware stack as /api/protected, without authentication)',
    responses: { 200: { schema: MessageResponse, description: 'Hello' } },
  });
  app.get('/api/public', (_req, res) => {
    res.json({ message: 'Anyone may read this.' });
  });

  docs.describe({
    method: 'get',
    path: '/api/protected',
    summary: 'Any valid access token',
    bearer: true,
    responses: { 200: { schema: ProtectedResponse, description: 'Hello' }, 401: ['missing_token', 'invalid_token', 'token_expired', 'token_revoked'] },
  });
  app.get('/api/protected', requireAuth, (req, res) => {
    res.json({ message: 'You are authenticated.', user: { id: req.auth!.sub, roles: req.auth!.roles } });
  });
  app.use('/api/admin', createAdminRouter({ users, usersService, audit, requireAuth, requireAdmin: requireRole('admin'), docs }));

  app.use((_req, _res, next) => next(notFound('No such endpoint.')));
  app.use(createErrorHandler(logger));
  return app;
}
