import { resolve } from 'node:path';
import type { z } from 'zod';
import type { Config } from './config.ts';
import { ConfigError } from './errors.ts';
import { devSecret } from './dev-secrets.ts';
import { envSchema, isHmac, type RawEnv } from './schema.ts';

const MIN_SECRET_BYTES = 32;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
}

function parseTrustProxy(value: string | undefined): boolean | number | string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/**
 * Parses the environment once. In development a missing secret is generated and kept
 * under DATA_DIR with a warning; in production a missing or short one stops start-up.
 * NODE_ENV=test generates throwaway secrets in memory and writes nothing.
 */
export function loadConfig(env: RawEnv): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${describeIssues(parsed.error)}`);
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const dataDir = resolve(e.DATA_DIR);
  const warnings: string[] = [];

  const secret = (name: 'JWT_SECRET' | 'JWT_REFRESH_SECRET' | 'KEY_ENCRYPTION_SECRET'): Buffer => {
    const value = e[name];
    if (value) {
      if (Buffer.byteLength(value) < MIN_SECRET_BYTES) {
        const message = `${name} must be at least ${MIN_SECRET_BYTES} bytes long`;
        if (production) throw new ConfigError(message);
        warnings.push(`${message}; accepted only because NODE_ENV is not production`);
      }
      return Buffer.from(value);
    }
    if (production) throw new ConfigError(`${name} is required when NODE_ENV=production`);
    if (e.NODE_ENV === 'development') {
      warnings.push(`${name} is not set: using a development secret kept in ${dataDir}/secrets.json`);
    }
    return Buffer.from(devSecret(dataDir, name, e.NODE_ENV === 'development'));
  };

  const algorithm = e.JWT_ALGORITHM ?? (e.JWT_SECRET ? 'HS256' : 'ES256');
  const hmac = isHmac(algorithm);
  if (e.JWT_EXPIRES_IN < 1) throw new ConfigError('JWT_EXPIRES_IN must be at least 1s');
  if (e.JWT_REFRESH_EXPIRES_IN < 1) throw new ConfigError('JWT_REFRESH_EXPIRES_IN must be at least 1s');
  if ((e.ADMIN_EMAIL === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  const databaseUrl = e.DATABASE_URL ?? `sqlite:${resolve(dataDir, 'tessera.db')}`;
  if (e.TESSERA_WORKERS > 1 && databaseUrl === 'sqlite::memory:') {
    throw new ConfigError('TESSERA_WORKERS > 1 needs a database the workers can share: not sqlite::memory:');
  }
  if (e.TESSERA_WORKERS > 1 && !e.REDIS_URL) {
    warnings.push(
      `TESSERA_WORKERS=${e.TESSERA_WORKERS} without REDIS_URL: each worker keeps its own rate-limit counters, so the effective limits are ${e.TESSERA_WORKERS}× the configured ones`,
    );
  }
  const cookieSecure = e.COOKIE_SECURE ?? production;
  if (e.COOKIE_PREFIXES && !cookieSecure) {
    throw new ConfigError('COOKIE_PREFIXES=true needs Secure cookies: browsers drop __Secure-/__Host- cookies without it (COOKIE_SECURE)');
  }
  if (e.METRICS_TOKEN !== undefined && Buffer.byteLength(e.METRICS_TOKEN) < 16) {
    throw new ConfigError('METRICS_TOKEN must be at least 16 bytes long');
  }
  if (production && e.METRICS_TOKEN === undefined) {
    warnings.push('METRICS_TOKEN is not set: GET /metrics is not served (set it to let Prometheus scrape with a Bearer token)');
  }
  if (e.HTTP_HEADERS_TIMEOUT < 1000 || e.HTTP_REQUEST_TIMEOUT < 1000) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT and HTTP_REQUEST_TIMEOUT must be at least 1s');
  }
  if (e.HTTP_HEADERS_TIMEOUT > e.HTTP_REQUEST_TIMEOUT) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT must not be longer than HTTP_REQUEST_TIMEOUT');
  }
  for (const origin of e.CORS_ORIGINS) {
    if (origin === '*' || !URL.canParse(origin)) {
      throw new ConfigError(`CORS_ORIGINS: "${origin}" is not an origin (credentialed CORS cannot use "*")`);
    }
  }

  return {
    env: e.NODE_ENV,
    port: e.PORT,
    workers: e.TESSERA_WORKERS,
    dataDir,
    logLevel: e.LOG_LEVEL,
    database: {
      url: databaseUrl,
      poolSize: e.DATABASE_POOL_SIZE,
    },
    redisUrl: e.REDIS_URL,
    jwt: {
      algorithm,
      secret: hmac ? secret('JWT_SECRET') : undefined,
      refreshSecret: secret('JWT_REFRESH_SECRET'),
      keyEncryptionSecret: hmac ? undefined : secret('KEY_ENCRYPTION_SECRET'),
      accessTtl: e.JWT_EXPIRES_IN,
      refreshTtl: e.JWT_REFRESH_EXPIRES_IN,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      clockTolerance: e.JWT_CLOCK_TOLERANCE,
      refreshReuseInterval: e.JWT_REFRESH_REUSE_INTERVAL,
    },
    sessionMaxLifetime: e.SESSION_MAX_LIFETIME,
    refreshTransport: e.REFRESH_TOKEN_TRANSPORT,
    cookieSecure,
    cookiePrefixes: e.COOKIE_PREFIXES,
    corsOrigins: e.CORS_ORIGINS.map((origin) => new URL(origin).origin),
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    admin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    rateLimit: { windowMs: e.RATE_LIMIT_WINDOW, accountMax: e.RATE_LIMIT_ACCOUNT_MAX, ipMax: e.RATE_LIMIT_IP_MAX },
    revocationPollMs: e.REVOCATION_POLL_INTERVAL,
    keyPollMs: e.KEY_POLL_INTERVAL,
    verifyCacheSize: e.VERIFY_CACHE_SIZE,
    hashConcurrency: e.HASH_CONCURRENCY,
    auditRetention: e.AUDIT_RETENTION,
    metricsToken: e.METRICS_TOKEN,
    httpTimeouts: { headersMs: e.HTTP_HEADERS_TIMEOUT, requestMs: e.HTTP_REQUEST_TIMEOUT },
    warnings,
  };
}
