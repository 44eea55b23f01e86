import { resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from './errors.ts';
import { devSecret } from './dev-secrets.ts';
import { isHmac, type RawEnv } from './schema.ts';
import { envSchema, type Settings } from './settings.ts';

const MIN_SECRET_BYTES = 32;

type SecretName = 'JWT_SECRET' | 'JWT_REFRESH_SECRET' | 'KEY_ENCRYPTION_SECRET';

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
}

/** The checks that involve more than one setting, or whose message the contract fixes. */
function check(s: Settings, warnings: string[]): void {
  if (s.jwt.accessTtl < 1) throw new ConfigError('JWT_EXPIRES_IN must be at least 1s');
  if (s.jwt.refreshTtl < 1) throw new ConfigError('JWT_REFRESH_EXPIRES_IN must be at least 1s');
  if ((s.admin.email === undefined) !== (s.admin.password === undefined)) {
    throw new ConfigError('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  // An unset DATABASE_URL means a SQLite file under DATA_DIR, which the workers can share.
  if (s.workers > 1 && s.database.url === 'sqlite::memory:') {
    throw new ConfigError('TESSERA_WORKERS > 1 needs a database the workers can share: not sqlite::memory:');
  }
  if (s.workers > 1 && !s.redisUrl) {
    warnings.push(
      `TESSERA_WORKERS=${s.workers} without REDIS_URL: each worker keeps its own rate-limit counters, so the effective limits are ${s.workers}× the configured ones`,
    );
  }
  if (s.cookiePrefixes && !(s.cookieSecure ?? s.env === 'production')) {
    throw new ConfigError('COOKIE_PREFIXES=true needs Secure cookies: browsers drop __Secure-/__Host- cookies without it (COOKIE_SECURE)');
  }
  if (s.metricsToken !== undefined && Buffer.byteLength(s.metricsToken) < 16) {
    throw new ConfigError('METRICS_TOKEN must be at least 16 bytes long');
  }
  const { headersMs, requestMs } = s.httpTimeouts;
  if (headersMs < 1000 || requestMs < 1000) throw new ConfigError('HTTP_HEADERS_TIMEOUT and HTTP_REQUEST_TIMEOUT must be at least 1s');
  if (headersMs > requestMs) throw new ConfigError('HTTP_HEADERS_TIMEOUT must not be longer than HTTP_REQUEST_TIMEOUT');
  for (const origin of s.corsOrigins ?? []) {
    if (origin === '*' || !URL.canParse(origin)) {
      throw new ConfigError(`CORS_ORIGINS: "${origin}" is not an origin (credentialed CORS cannot use "*")`);
    }
  }
}

/**
 * Parses the environment once. In development a missing secret is generated and kept
 * under DATA_DIR with a warning; in production a missing or short one stops start-up.
 * NODE_ENV=test generates throwaway secrets in memory and writes nothing.
 * Its result is the Config type (config.ts): the declared settings with these filled in.
 */
export function loadConfig(env: RawEnv) {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${describeIssues(parsed.error)}`);
  const s = parsed.data;
  const production = s.env === 'production';
  const warnings: string[] = [];
  check(s, warnings);

  const secret = (name: SecretName, value: string | undefined): Buffer => {
    if (value) {
      if (Buffer.byteLength(value) < MIN_SECRET_BYTES) {
        const message = `${name} must be at least ${MIN_SECRET_BYTES} bytes long`;
        if (production) throw new ConfigError(message);
        warnings.push(`${message}; accepted only because NODE_ENV is not production`);
      }
      return Buffer.from(value);
    }
    if (production) throw new ConfigError(`${name} is required when NODE_ENV=production`);
    if (s.env === 'development') {
      warnings.push(`${name} is not set: using a development secret kept in ${s.dataDir}/secrets.json`);
    }
    return Buffer.from(devSecret(s.dataDir, name, s.env === 'development'));
  };

  const algorithm = s.jwt.algorithm ?? (s.jwt.secret ? 'HS256' : 'ES256');
  const hmac = isHmac(algorithm);
  const { email, password } = s.admin;
  return {
    ...s,
    database: { ...s.database, url: s.database.url ?? `sqlite:${resolve(s.dataDir, 'tessera.db')}` },
    jwt: {
      ...s.jwt,
      algorithm,
      /** HMAC secret for access tokens; set only with an HS* algorithm. */
      secret: hmac ? secret('JWT_SECRET', s.jwt.secret) : undefined,
      refreshSecret: secret('JWT_REFRESH_SECRET', s.jwt.refreshSecret),
      /** Encrypts private signing keys at rest; set only with an asymmetric algorithm. */
      keyEncryptionSecret: hmac ? undefined : secret('KEY_ENCRYPTION_SECRET', s.jwt.keyEncryptionSecret),
    },
    cookieSecure: s.cookieSecure ?? production,
    corsOrigins: (s.corsOrigins ?? []).map((origin) => new URL(origin).origin),
    admin: email && password ? { email, password } : undefined,
    /** Notices about unsafe defaults, logged once at start. */
    warnings,
  };
}
