import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ALGORITHMS, bool, databaseUrl, duration, int, list, text, trustProxy } from './schema.ts';
import { emailSettings } from './email.settings.ts';
import { setting, settingsSchema } from './setting.ts';

/**
 * Every setting Tessera reads, each declared once, where its value lands in Config: the whole job
 * for type and parsing; docs/configuration.md's table is written from it (`npm run docs:config`; test/config/readme-table.test.ts).
 * Secrets stay optional here: load-config.ts generates them (development) or refuses to
 * start (production), and fills in the defaults that depend on other settings.
 */
export const settings = {
  env: setting({
    env: 'NODE_ENV',
    type: z.enum(['development', 'production', 'test']),
    default: 'development',
    meaning: '`production` refuses to start without explicit secrets/keys; `test` uses throwaway in-memory secrets',
  }),
  port: setting({ env: 'PORT', type: int(0, 65535), default: '5000', meaning: 'listening port' }),
  workers: setting({ env: 'TESSERA_WORKERS', type: int(1, 64), default: '1', meaning: 'worker processes sharing the port' }),
  dataDir: setting({
    env: 'DATA_DIR',
    type: text.transform((dir) => resolve(dir)),
    default: './data',
    meaning: 'where development secrets and the default SQLite file live (`0700`, files `0600`)',
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    type: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    meaning: 'pino level',
  }),
  logFormat: setting({
    env: 'LOG_FORMAT',
    type: z.enum(['pretty', 'json']),
    readme: '`pretty` in development, else `json`',
    meaning: 'log lines for people (`pretty`) or for a log pipeline (`json`)',
  }),
  database: {
    url: setting({
      env: 'DATABASE_URL',
      type: databaseUrl,
      readme: '`sqlite:./data/tessera.db`',
      meaning: '`sqlite:<path>` or `postgres://...`',
    }),
    poolSize: setting({ env: 'DATABASE_POOL_SIZE', type: int(1, 200), default: '10', meaning: 'PostgreSQL pool size' }),
  },
  redisUrl: setting({ env: 'REDIS_URL', type: text, meaning: 'shared revocation and rate-limit state across instances' }),
  jwt: {
    algorithm: setting({
      env: 'JWT_ALGORITHM',
      type: z.enum(ALGORITHMS),
      readme: '`HS256` if `JWT_SECRET` is set, else `ES256`',
      meaning: ALGORITHMS.map((alg) => `\`${alg}\``).join('/'),
    }),
    secret: setting({
      env: 'JWT_SECRET',
      type: z.string(),
      readme: 'dev: generated',
      meaning: 'HMAC secret for access tokens (at least 32 bytes)',
    }),
    refreshSecret: setting({
      env: 'JWT_REFRESH_SECRET',
      type: z.string(),
      readme: 'dev: generated',
      meaning: 'HMAC secret for refresh tokens (at least 32 bytes)',
    }),
    keyEncryptionSecret: setting({
      env: 'KEY_ENCRYPTION_SECRET',
      type: z.string(),
      readme: 'dev: generated',
      meaning: 'encrypts private signing keys at rest (asymmetric algorithms; required in production)',
    }),
    accessTtl: setting({ env: 'JWT_EXPIRES_IN', type: duration(), default: '15m', meaning: 'access token lifetime' }),
    refreshTtl: setting({
      env: 'JWT_REFRESH_EXPIRES_IN',
      type: duration(),
      default: '7d',
      meaning: 'refresh token lifetime (slides with each rotation)',
    }),
    issuer: setting({
      env: 'JWT_ISSUER',
      type: text,
      readme: '`APP_URL`',
      meaning: '`iss` of the tokens Tessera issues; a URL, so that resource services find the keys from it ([discovery](docs/services.md))',
    }),
    audience: setting({ env: 'JWT_AUDIENCE', type: text, default: 'tessera-api', meaning: '`aud` of the tokens Tessera issues' }),
    clockTolerance: setting({ env: 'JWT_CLOCK_TOLERANCE', type: duration(), default: '5s', meaning: 'leeway for `exp`/`nbf`' }),
    refreshReuseInterval: setting({
      env: 'JWT_REFRESH_REUSE_INTERVAL',
      type: duration(),
      default: '0',
      meaning: 'grace for a racing previous refresh token ([docs/tokens.md](docs/tokens.md#the-reuse-interval))',
    }),
  },
  sessionMaxLifetime: setting({
    env: 'SESSION_MAX_LIFETIME',
    type: duration(),
    meaning: 'absolute cap on a session, however often it rotates',
  }),
  refreshTransport: setting({
    env: 'REFRESH_TOKEN_TRANSPORT',
    type: z.enum(['both', 'cookie', 'body']),
    default: 'both',
    meaning: '`both`, `cookie` or `body`',
  }),
  cookieDomain: setting({
    env: 'COOKIE_DOMAIN',
    type: text,
    meaning: '`Domain` of the cookies (unset: host-only), e.g. `example.com` for app.example.com + auth.example.com',
  }),
  cookieSameSite: setting({
    env: 'COOKIE_SAMESITE',
    type: z.enum(['strict', 'lax', 'none']),
    default: 'strict',
    meaning: '`strict`, `lax` or `none` (needs Secure)',
  }),
  cookieSecure: setting({ env: 'COOKIE_SECURE', type: bool, readme: '`true` in production', meaning: '`Secure` flag on cookies' }),
  cookiePrefixes: setting({
    env: 'COOKIE_PREFIXES',
    type: bool,
    default: 'false',
    meaning: '`__Secure-refresh_token` / `__Host-csrf_token` cookie names (needs Secure)',
  }),
  corsOrigins: setting({ env: 'CORS_ORIGINS', type: list, meaning: 'comma-separated origins allowed with credentials' }),
  trustProxy: setting({
    env: 'TRUST_PROXY',
    type: trustProxy,
    meaning: 'Express `trust proxy` setting (`true`, a hop count, or addresses)',
  }),
  admin: {
    email: setting({
      env: 'ADMIN_EMAIL',
      type: z.string(),
      meaning: 'with `ADMIN_PASSWORD`: create this admin user at start if no account has this address',
    }),
    password: setting({
      env: 'ADMIN_PASSWORD',
      type: z.string(),
      meaning:
        'with `ADMIN_EMAIL`: its password when it is created (an existing account is left as it is: never made admin, never re-granted `admin` after a demotion)',
    }),
  },
  rateLimit: {
    windowMs: setting({ env: 'RATE_LIMIT_WINDOW', type: duration('ms'), default: '15m', meaning: 'window of the rate-limit counters' }),
    accountMax: setting({
      env: 'RATE_LIMIT_ACCOUNT_MAX',
      type: int(1, 1_000_000),
      default: '10',
      meaning: 'failed logins for one account per window before `429` (then back-off)',
    }),
    ipMax: setting({
      env: 'RATE_LIMIT_IP_MAX',
      type: int(1, 100_000_000),
      default: '300',
      meaning: 'requests to `/api/auth/*` from one client address per window before `429`',
    }),
  },
  revocationPollMs: setting({
    env: 'REVOCATION_POLL_INTERVAL',
    type: duration('ms'),
    default: '500ms',
    meaning: 'how often an instance reads revocations made elsewhere',
  }),
  keyPollMs: setting({
    env: 'KEY_POLL_INTERVAL',
    type: duration('ms'),
    default: '30s',
    meaning:
      'how often an instance re-reads the signing keys; a rotated key signs 61 s after it is published, or this long (+1 s) if that is later ([docs/tokens.md](docs/tokens.md))',
  }),
  verifyCacheSize: setting({
    env: 'VERIFY_CACHE_SIZE',
    type: int(0, 1_000_000),
    default: '10000',
    meaning: 'verified access tokens remembered per process (`0` turns the cache off)',
  }),
  hashConcurrency: setting({
    env: 'HASH_CONCURRENCY',
    type: int(1, 64),
    default: String(Math.max(1, availableParallelism() - 1)),
    readme: 'cores − 1 (at least 1)',
    meaning: 'argon2 hashes computed at once; the rest queue',
  }),
  auditRetention: setting({ env: 'AUDIT_RETENTION', type: duration(), default: '90d', meaning: 'how long audit events are kept' }),
  metricsToken: setting({
    env: 'METRICS_TOKEN',
    type: z.string(),
    meaning: 'Bearer token for `GET /metrics` (at least 16 bytes); unset: open in development, not served in production',
  }),
  ...emailSettings,
  reauthWindowMs: setting({
    env: 'REAUTH_WINDOW',
    type: duration('ms'),
    default: '5m',
    meaning: 'how recent a sign-in must be for a sensitive change by an account without a password (`401 reauth_required` after)',
  }),
  feed: {
    maxStreamsPerClient: setting({
      env: 'FEED_MAX_STREAMS_PER_CLIENT',
      type: int(1, 10_000),
      default: '4',
      meaning: 'open revocation-feed streams one service client may hold on one server process; one more is `429 rate_limited`',
    }),
    maxStreams: setting({
      env: 'FEED_MAX_STREAMS',
      type: int(1, 1_000_000),
      default: '1000',
      meaning: 'open revocation-feed streams in all, per process; one more is `429 rate_limited`',
    }),
  },
  mfaIssuer: setting({ env: 'MFA_ISSUER', type: text, default: 'Tessera', meaning: 'issuer shown by authenticator apps (MFA setup)' }),
  httpTimeouts: {
    headersMs: setting({
      env: 'HTTP_HEADERS_TIMEOUT',
      type: duration('ms'),
      default: '10s',
      meaning: 'slow-client limit: all request headers must arrive within this, else `408`',
    }),
    requestMs: setting({
      env: 'HTTP_REQUEST_TIMEOUT',
      type: duration('ms'),
      default: '30s',
      meaning: 'slow-client limit: the whole request must arrive within this, else `408`',
    }),
  },
  allowUnknownSettings: setting({
    env: 'ALLOW_UNKNOWN_SETTINGS',
    type: bool,
    default: 'false',
    meaning:
      'start in production even with variables that look like settings but are not ([unknown settings](docs/configuration.md#unknown-settings))',
  }),
};

/** The environment schema: a flat object by variable, transformed into the nesting above. */
export const envSchema = settingsSchema(settings);
export type Settings = z.output<typeof envSchema>;
