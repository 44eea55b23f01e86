import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { authEndpoints } from './auth/auth.routes.ts';
import { demoEndpoints } from './auth/demo.routes.ts';
import type { AccountThrottle } from './auth/account-throttle.ts';
import { oauthEndpoints } from './clients/oauth.routes.ts';
import { requireClient } from './clients/require-client.ts';
import type { Config } from './config/config.ts';
import type { DatabaseHandle } from './db/create-db.ts';
import { refuseCookieConflict } from './http/cookie-conflict.ts';
import { createCors } from './http/cors.ts';
import { createCsrf } from './http/csrf.ts';
import { docsAssets, docsEndpoints } from './http/docs.routes.ts';
import { homeEndpoints } from './http/home.routes.ts';
import { mountEndpoints, type Access, type Endpoint } from './http/endpoint.ts';
import { createErrorHandler } from './http/error-handler.ts';
import { useLeanJson } from './http/json-response.ts';
import { createRequestLog } from './http/request-log.ts';
import { securityHeaders } from './http/security-headers.ts';
import { createMetrics } from './http/metrics.ts';
import { mfaEndpoints } from './mfa/mfa.routes.ts';
import { createOpenApiDocument } from './http/openapi.ts';
import { answersInTime, metricsGuard, opsEndpoints } from './http/ops.routes.ts';
import { createRateLimiters, type RateLimiters } from './http/rate-limit.ts';
import { notFound } from './lib/errors.ts';
import type { Clock } from './lib/clock.ts';
import { requireRole } from './rbac/require-role.ts';
import { feedEndpoints } from './revocation/feed.routes.ts';
import { createRevocationFeed } from './revocation/revocation-feed.ts';
import type { Revocations } from './revocation/revocations.ts';
import { emailEndpoints } from './email/email.routes.ts';
import { pagesEndpoints } from './email/pages.routes.ts';
import type { MailDelivery } from './mail/delivery.ts';
import { createServices } from './services.ts';
import { sessionsEndpoints } from './sessions/sessions.routes.ts';
import { discoveryEndpoints } from './tokens/discovery.routes.ts';
import { jwksEndpoints } from './tokens/jwks.routes.ts';
import { jwksMaxAgeSeconds } from './tokens/key-publication.ts';
import type { AccessClaims } from './tokens/claims.ts';
import type { Keystore } from './tokens/keystore.ts';
import { createRequireAuth } from './tokens/require-auth.ts';
import { adminEndpoints } from './users/admin.routes.ts';
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
  /** Aborted when the server begins to shut down: long-lived streams (the revocation feed) end so it can drain. */
  shutdown?: AbortSignal;
  /** Mail out (runtime.ts); one from the configuration when absent. */
  mail?: MailDelivery;
  /** The revocation feed's keep-alive interval (15 s; shorter in tests). */
  feedHeartbeatMs?: number;
}

/** Builds the Express app from explicit dependencies. Never listens; server.ts does. */
export function createApp(deps: AppDeps): Express {
  const { config, database, keystore, revocations, clock, logger } = deps;
  const services = createServices({
    config,
    db: database.db,
    keystore,
    revocations,
    clock,
    logger,
    throttle: deps.throttle,
    mail: deps.mail,
  });
  const csrf = createCsrf(config);
  const feed = createRevocationFeed({
    revocations,
    logger,
    clientExists: (id) => services.clients.exists(id),
    limits: { perClient: config.feed.maxStreamsPerClient, total: config.feed.maxStreams },
    ...(deps.feedHeartbeatMs !== undefined ? { heartbeatMs: deps.feedHeartbeatMs } : {}),
    ...(deps.shutdown ? { shutdown: deps.shutdown } : {}),
  });
  const metrics = createMetrics({
    revocationIndex: () => revocations.index.size(),
    verifyCache: () => services.accessTokens.cacheSize(),
    feedStreams: () => feed.size(),
  });
  services.mail.onOutcome((outcome) => metrics.mail(outcome));
  const limiters = deps.rateLimiters ?? createRateLimiters(config);
  const isRevoked = (claims: AccessClaims) => revocations.index.isRevoked(claims.sid, claims.jti);
  const reloadKeys = () => keystore.reload({ onlyIfCool: true });
  const requireAuth = createRequireAuth({ verify: (token) => services.accessTokens.verify(token), isRevoked, reloadKeys });
  const guards: Record<Access, RequestHandler[]> = {
    public: [],
    // Every endpoint that reads the refresh cookie has this level: a tossed twin is refused before it is read.
    refresh: [refuseCookieConflict(config)],
    bearer: [requireAuth],
    admin: [requireAuth, requireRole('admin')],
    metrics: [metricsGuard(config.metricsToken, config.env === 'production')],
    client: [requireClient(services.clients)],
  };

  const ready = async () => {
    const checks: Record<string, boolean> = {};
    const all = { database: () => database.ping(), ...deps.readiness };
    await Promise.all(
      Object.entries(all).map(async ([name, check]) => {
        checks[name] = await answersInTime(check);
      }),
    );
    return checks;
  };
  let document: object | undefined;
  const endpoints: Endpoint[] = [
    ...opsEndpoints({
      ready,
      registry: metrics.registry,
      document: () => (document ??= createOpenApiDocument(endpoints, { version: VERSION })),
    }),
    ...jwksEndpoints({ keystore, maxAgeSeconds: jwksMaxAgeSeconds(config.keyPollMs) }),
    ...discoveryEndpoints({ issuer: config.jwt.issuer, appUrl: config.appUrl, maxAgeSeconds: jwksMaxAgeSeconds(config.keyPollMs) }),
    ...authEndpoints({
      config,
      ...services,
      csrf,
      onLogin: (o) => metrics.login(o),
      onRefresh: (o) => metrics.refresh(o),
      mfaChallenge: (user, client) => services.mfaLogin.challenge(user, client),
      mailLimits: limiters.mail('email'),
    }),
    ...mfaEndpoints({ config, csrf, mfa: services.mfa, mfaLogin: services.mfaLogin }),
    ...sessionsEndpoints(services),
    ...emailEndpoints({ ...services, mailLimits: limiters.mail }),
    ...pagesEndpoints(),
    ...demoEndpoints(),
    ...adminEndpoints(services),
    ...oauthEndpoints({ accessTokens: services.accessTokens, isRevoked, reloadKeys, sessions: services.sessions }),
    ...feedEndpoints({ feed }),
    ...docsEndpoints(),
    ...homeEndpoints(),
  ];

  const app = express();
  app.use(createRequestLog(logger));
  app.disable('x-powered-by');
  app.set('etag', false);
  useLeanJson(app);
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);
  app.use(securityHeaders());
  app.use(createCors(config.corsOrigins));
  app.use('/docs/assets', docsAssets());
  // The per-client limit counts before any body is parsed, so oversized or malformed bodies count too.
  app.use('/api/auth', limiters.perClient);
  mountEndpoints(app.router, endpoints, guards);
  // Under /api/admin even an unknown path asks for an admin first: it tells no one else what exists.
  app.use('/api/admin', ...guards.admin);
  app.use((_req, _res, next) => next(notFound('No such endpoint.')));
  app.use(createErrorHandler(logger));
  return app;
}
