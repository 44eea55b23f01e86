import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseDurationMs } from './duration.ts';

export const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export const isHmac = (alg: Algorithm): boolean => alg.startsWith('HS');

/** A duration setting, parsed to seconds (or milliseconds with unit 'ms'). */
const duration = (name: string, unit: 's' | 'ms' = 's') =>
  z.string().transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a duration such as 500ms, 90s, 15m, 12h or 7d` });
      return z.NEVER;
    }
    return unit === 'ms' ? ms : Math.round(ms / 1000);
  });

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/**
 * Every setting Tessera reads, with the contract's names and defaults.
 * Secrets stay optional here; load-config.ts decides whether a missing one is
 * generated (development) or fatal (production).
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(5000),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  TESSERA_WORKERS: int(1, 64).default(1),
  REDIS_URL: z.string().min(1).optional(),
  JWT_ALGORITHM: z.enum(ALGORITHMS).optional(),
  JWT_SECRET: z.string().optional(),
  JWT_REFRESH_SECRET: z.string().optional(),
  KEY_ENCRYPTION_SECRET: z.string().optional(),
  JWT_EXPIRES_IN: duration('JWT_EXPIRES_IN').default(900),
  JWT_REFRESH_EXPIRES_IN: duration('JWT_REFRESH_EXPIRES_IN').default(7 * 86400),
  JWT_ISSUER: z.string().min(1).default('tessera'),
  JWT_AUDIENCE: z.string().min(1).default('tessera-api'),
  JWT_CLOCK_TOLERANCE: duration('JWT_CLOCK_TOLERANCE').default(5),
  JWT_REFRESH_REUSE_INTERVAL: duration('JWT_REFRESH_REUSE_INTERVAL').default(0),
  SESSION_MAX_LIFETIME: duration('SESSION_MAX_LIFETIME').optional(),
  REFRESH_TOKEN_TRANSPORT: z.enum(['both', 'cookie', 'body']).default('both'),
  COOKIE_SECURE: bool.optional(),
  COOKIE_PREFIXES: bool.default(false),
  CORS_ORIGINS: list.default([]),
  TRUST_PROXY: z.string().optional(),
  ADMIN_EMAIL: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  RATE_LIMIT_WINDOW: duration('RATE_LIMIT_WINDOW', 'ms').default(900_000),
  RATE_LIMIT_ACCOUNT_MAX: int(1, 1_000_000).default(10),
  RATE_LIMIT_IP_MAX: int(1, 100_000_000).default(300),
  REVOCATION_POLL_INTERVAL: duration('REVOCATION_POLL_INTERVAL', 'ms').default(500),
  AUDIT_RETENTION: duration('AUDIT_RETENTION').default(90 * 86400),
  HASH_CONCURRENCY: int(1, 64).default(Math.max(1, availableParallelism() - 1)),
  VERIFY_CACHE_SIZE: int(0, 1_000_000).default(10_000),
  KEY_POLL_INTERVAL: duration('KEY_POLL_INTERVAL', 'ms').default(30_000),
  METRICS_TOKEN: z.string().optional(),
  HTTP_HEADERS_TIMEOUT: duration('HTTP_HEADERS_TIMEOUT', 'ms').default(10_000),
  HTTP_REQUEST_TIMEOUT: duration('HTTP_REQUEST_TIMEOUT', 'ms').default(30_000),
});

export type RawEnv = Record<string, string | undefined>;
