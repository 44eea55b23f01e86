import type { Logger } from 'pino';
import { createAuditLog } from './audit/audit-log.ts';
import { createMemoryThrottle, type AccountThrottle } from './auth/account-throttle.ts';
import { createCredentialsService } from './auth/credentials.service.ts';
import { createRecentAuth } from './auth/recent-auth.ts';
import { createDeviceCookies } from './auth/device-cookie.ts';
import { createThrottled } from './auth/throttled.ts';
import { createClientsService } from './clients/clients.service.ts';
import { createServiceClientRepository } from './clients/service-client.repository.ts';
import type { Config } from './config/config.ts';
import { createAccountEmailService } from './email/account-email.service.ts';
import { createEmailLinkRepository } from './email/email-link.repository.ts';
import { createNotices } from './mail/notices.ts';
import { createMailDelivery, type MailDelivery } from './mail/delivery.ts';
import { createTemplates } from './mail/templates.ts';
import { createMailTransport } from './mail/transports.ts';
import type { Db } from './database.ts';
import type { Clock } from './lib/clock.ts';
import { createMfaKeys } from './mfa/mfa-keys.ts';
import { createMfaLogin } from './mfa/mfa-login.service.ts';
import { createMfaRepository } from './mfa/mfa.repository.ts';
import { createMfaService } from './mfa/mfa.service.ts';
import { createSecondFactor } from './mfa/second-factor.ts';
import type { Revocations } from './revocation/revocations.ts';
import { createEndSessions } from './sessions/end-sessions.ts';
import { createSessionRepository } from './sessions/session.repository.ts';
import { createSessionsService } from './sessions/sessions.service.ts';
import { createAccessTokens } from './tokens/access-token.ts';
import type { Keystore } from './tokens/keystore.ts';
import { createRefreshTokens } from './tokens/refresh-token.ts';
import { createPasswordHasher } from './users/password.ts';
import { createUserRepository } from './users/user.repository.ts';
import { createUsersService } from './users/users.service.ts';

export interface ServiceDeps {
  config: Config;
  db: Db;
  keystore: Keystore;
  revocations: Revocations;
  clock: Clock;
  logger: Logger;
  /** Shared (Redis) account throttle; per-process memory when absent. */
  throttle?: AccountThrottle | undefined;
  /** Mail delivery (runtime.ts makes it from SMTP_URL / MAIL_OUTBOX_DIR); one from the config when absent. */
  mail?: MailDelivery | undefined;
}

/**
 * The use cases, built once from explicit dependencies: what the HTTP routes, the CLI and
 * start-up tasks all call. Repositories stay inside; nothing outside writes behind a service.
 */
export function createServices(deps: ServiceDeps) {
  const { config, db, keystore, revocations, clock, logger } = deps;
  const userRepository = createUserRepository(db);
  const sessionRepository = createSessionRepository(db);
  const audit = createAuditLog(db, clock, logger);
  const passwords = createPasswordHasher(config.hashConcurrency);
  const endSessions = createEndSessions({ sessions: sessionRepository, revocations, clock });
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
    formerIssuers: config.jwt.formerIssuers,
    ttlSeconds: config.jwt.refreshTtl,
    clockToleranceSeconds: config.jwt.clockTolerance,
  });
  const mail = deps.mail ?? createMailDelivery({ transport: createMailTransport(config), logger });
  const throttle = deps.throttle ?? createMemoryThrottle({ max: config.rateLimit.accountMax, windowMs: config.rateLimit.windowMs }, clock);
  const templates = createTemplates(config.mail.templatesDir);
  const notices = createNotices({ appUrl: config.appUrl, mail, templates });

  const credentials = createCredentialsService({
    clock,
    logger,
    users: userRepository,
    throttle,
    audit,
    passwords,
    devices: createDeviceCookies(config.jwt.refreshSecret, clock),
    endSessions,
    notices,
    requireVerifiedEmail: config.requireEmailVerification,
  });
  const recentAuth = createRecentAuth({ users: userRepository, credentials, clock, windowMs: config.reauthWindowMs });
  const sessions = createSessionsService({
    settings: {
      refreshTtlSeconds: config.jwt.refreshTtl,
      reuseIntervalSeconds: config.jwt.refreshReuseInterval,
      maxLifetimeSeconds: config.sessionMaxLifetime,
    },
    clock,
    logger,
    users: userRepository,
    sessions: sessionRepository,
    accessTokens,
    refreshTokens,
    revocations,
    endSessions,
    audit,
  });
  // MFA data at rest is keyed by KEY_ENCRYPTION_SECRET; HMAC mode has none, and uses JWT_REFRESH_SECRET (mfa-keys.ts).
  const mfaKeys = createMfaKeys(config.jwt.keyEncryptionSecret ?? config.jwt.refreshSecret);
  const mfaRepository = createMfaRepository(db);
  const throttled = createThrottled({ throttle, audit, logger });
  const factor = createSecondFactor({ repository: mfaRepository, keys: mfaKeys, throttled, audit, clock });
  const mfa = createMfaService({
    issuer: config.mfaIssuer,
    repository: mfaRepository,
    users: userRepository,
    keys: mfaKeys,
    factor,
    throttled,
    recentAuth,
    notices,
    requireVerifiedEmail: config.requireEmailVerification,
    endSessions,
    audit,
    clock,
  });

  return {
    audit,
    accessTokens,
    userRepository,
    mail,
    accountEmail: createAccountEmailService({
      settings: {
        appUrl: config.appUrl,
        verifyTtlMs: config.linkTtl.verify,
        resetTtlMs: config.linkTtl.reset,
        logLinks: config.env === 'development' && !config.mail.smtpUrl,
      },
      users: userRepository,
      links: createEmailLinkRepository(db),
      passwords,
      endSessions,
      removeSecondFactors: (userId, client) => mfa.removeAfterUnprovenReset(userId, client),
      notices,
      audit,
      clock,
      logger,
      mail,
      templates,
    }),
    clients: createClientsService({ clients: createServiceClientRepository(db), audit, clock }),
    users: createUsersService({ users: userRepository, endSessions, audit, clock, passwords }),
    credentials,
    recentAuth,
    sessions,
    mfa,
    mfaLogin: createMfaLogin({
      repository: mfaRepository,
      users: userRepository,
      factor,
      startSession: (user, client, amr) => sessions.start(user, client, amr),
      deviceTokenFor: (userId) => credentials.deviceTokenFor(userId),
      audit,
      clock,
    }),
  };
}

export type Services = ReturnType<typeof createServices>;
