import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from './errors.ts';
import { devSecret } from './dev-secrets.ts';
import { ENV_FILE, type Env } from './read-env.ts';
import { isHmac } from './schema.ts';
import { settingsOf } from './setting.ts';
import { envSchema, settings, type Settings } from './settings.ts';
import { unknownSettings } from './unknown-settings.ts';

const MIN_SECRET_BYTES = 32;

type SecretName = 'JWT_SECRET' | 'JWT_REFRESH_SECRET' | 'KEY_ENCRYPTION_SECRET';

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

const HOW_TO_MAKE_A_SECRET = 'set it to at least 32 random bytes, e.g. `openssl rand -base64 48`';
const required = (name: SecretName) => `${name} is required when NODE_ENV=production: ${HOW_TO_MAKE_A_SECRET}`;

/**
 * Links in mails carry single-use tokens (a password reset's among them) to APP_URL. Production
 * without one mailed http://localhost links without a word (red-team finding 8), and an http://
 * one sends those tokens in clear; development keeps the localhost default.
 */
function appUrlProblem(env: string | undefined, appUrl: string | undefined): string | undefined {
  if (env !== 'production') return undefined;
  if (!appUrl) {
    return 'APP_URL is required when NODE_ENV=production: the links in mails would point at http://localhost; set it to the https:// address of Tessera or of your app, e.g. https://auth.example.com';
  }
  if (!appUrl.startsWith('https://')) {
    return 'APP_URL must be an https:// URL when NODE_ENV=production: the links in mails carry single-use tokens, e.g. https://auth.example.com';
  }
  return undefined;
}

/**
 * The checks that involve more than one setting, or whose message the contract fixes. Each
 * problem is collected, not thrown, so an operator sees every one in a single run.
 */
function check(s: Settings, problems: string[], warnings: string[]): void {
  if (s.jwt.accessTtl < 1) problems.push('JWT_EXPIRES_IN must be at least 1s');
  if (s.jwt.refreshTtl < 1) problems.push('JWT_REFRESH_EXPIRES_IN must be at least 1s');
  const appUrl = appUrlProblem(s.env, s.appUrl);
  if (appUrl) problems.push(appUrl);
  if ((s.admin.email === undefined) !== (s.admin.password === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  // An unset DATABASE_URL means a SQLite file under DATA_DIR, which the workers can share.
  if (s.workers > 1 && s.database.url === 'sqlite::memory:') {
    problems.push('TESSERA_WORKERS > 1 needs a database the workers can share: not sqlite::memory:');
  }
  if (s.workers > 1 && !s.redisUrl) {
    warnings.push(
      `TESSERA_WORKERS=${s.workers} without REDIS_URL: each worker keeps its own rate-limit counters, so the effective limits are ${s.workers}× the configured ones`,
    );
  }
  if (s.jwt.issuer !== undefined && !/^https?:\/\/[^?#]+$/.test(s.jwt.issuer)) {
    // Kept as set (an older deployment's 'tessera' must go on verifying), but said once.
    warnings.push(
      `JWT_ISSUER "${s.jwt.issuer}" is not an http(s) URL: other services cannot find the signing keys from it (discovery) and must be given jwksUrl. A URL (APP_URL is the default) allows discovery, but tokens issued under the old value stop verifying once it changes`,
    );
  }
  if (s.cookiePrefixes && !(s.cookieSecure ?? s.env === 'production')) {
    problems.push('COOKIE_PREFIXES=true needs Secure cookies: browsers drop __Secure-/__Host- cookies without it (COOKIE_SECURE)');
  }
  if (s.cookieSameSite === 'none' && !(s.cookieSecure ?? s.env === 'production')) {
    problems.push('COOKIE_SAMESITE=none needs Secure cookies (COOKIE_SECURE=true): browsers refuse SameSite=None without Secure');
  }
  if (s.cookieDomain !== undefined && !/^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/i.test(s.cookieDomain)) {
    problems.push(`COOKIE_DOMAIN: "${s.cookieDomain}" is not a domain name (no scheme, port or path)`);
  }
  if (s.metricsToken !== undefined && Buffer.byteLength(s.metricsToken) < 16) {
    problems.push('METRICS_TOKEN must be at least 16 bytes long');
  }
  const { headersMs, requestMs } = s.httpTimeouts;
  if (headersMs < 1000 || requestMs < 1000) problems.push('HTTP_HEADERS_TIMEOUT and HTTP_REQUEST_TIMEOUT must be at least 1s');
  if (headersMs > requestMs) problems.push('HTTP_HEADERS_TIMEOUT must not be longer than HTTP_REQUEST_TIMEOUT');
  for (const origin of s.corsOrigins ?? []) {
    if (origin === '*' || !URL.canParse(origin)) {
      problems.push(`CORS_ORIGINS: "${origin}" is not an origin (credentialed CORS cannot use "*")`);
    }
  }
  const sqlitePath = s.database.url?.startsWith('sqlite:') ? s.database.url.slice('sqlite:'.length) : undefined;
  if (sqlitePath && sqlitePath !== ':memory:') {
    // A mistyped path must not quietly start a server on a new, empty database; only Tessera's
    // own DATA_DIR is created on demand.
    const folder = dirname(resolve(sqlitePath));
    if (folder !== s.dataDir && !existsSync(folder)) {
      problems.push(`DATABASE_URL: the folder ${folder} does not exist; create it, or fix the path`);
    }
  }
}

const SETTING_NAMES = settingsOf(settings).map((s) => s.env);

/** One message for every problem, each on its own line, then what else may explain them. */
function configError(problems: string[], after: string[]): ConfigError {
  const lines = problems.map((problem) => `  - ${problem}`).join('\n');
  return new ConfigError(
    [`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines}`, ...after].join('\n'),
  );
}

const ALLOW_UNKNOWN = 'A production start stops at variables that are not settings: fix them, or set ALLOW_UNKNOWN_SETTINGS=true.';

/** Whether a message is about this variable (the name whole: JWT_SECRET is not in JWT_REFRESH_SECRET's). */
const mentions = (message: string, name: string) => new RegExp(`(?<![A-Z0-9_])${name}(?![A-Z0-9_])`).test(message);

/**
 * The settings, with a stand-in (its default, or unset) for each variable that did not parse, so
 * that the checks of the others still run: an operator sees every problem in one run, not one per
 * run. The stand-ins' names are returned too: checks that mention them are left out, as they would
 * judge the stand-in, not the value.
 */
function parseWhole(env: Env): { s: Settings; parseProblems: string[]; failed: Set<string> } {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) return { s: parsed.data, parseProblems: [], failed: new Set() };
  const failed = new Set(parsed.error.issues.map((issue) => String(issue.path[0])));
  const rest = Object.fromEntries(Object.entries(env).filter(([name]) => !failed.has(name)));
  return { s: envSchema.parse(rest), parseProblems: describeIssues(parsed.error), failed };
}

/**
 * Parses the environment once. In development a missing secret is generated and kept
 * under DATA_DIR with a warning; in production a missing or short one stops start-up.
 * NODE_ENV=test generates throwaway secrets in memory and writes nothing.
 * Its result is the Config type (config.ts): the declared settings with these filled in.
 */
export function loadConfig(env: Env) {
  const { s, parseProblems, failed } = parseWhole(env);
  const production = s.env === 'production';
  const problems: string[] = [];
  const warnings: string[] = [];
  // Variables that look like settings but are not: a typo silently left a setting at its default.
  const unknown = unknownSettings(env, SETTING_NAMES, env[ENV_FILE]);
  const unknownFail = production && !s.allowUnknownSettings && unknown.length > 0;
  check(s, problems, warnings);

  /** A missing or short secret is a problem in production; elsewhere it is generated (and warned about). */
  const secret = (name: SecretName, value: string | undefined): Buffer => {
    if (value) {
      if (Buffer.byteLength(value) < MIN_SECRET_BYTES) {
        const message = `${name} must be at least ${MIN_SECRET_BYTES} bytes long`;
        if (production) problems.push(`${message}: ${HOW_TO_MAKE_A_SECRET}`);
        else warnings.push(`${message}; accepted only because NODE_ENV is not production`);
      }
      return Buffer.from(value);
    }
    if (production) {
      problems.push(required(name));
      return Buffer.alloc(0);
    }
    if (s.env === 'development') {
      warnings.push(`${name} is not set: using a development secret kept in ${s.dataDir}/secrets.json`);
    }
    // Not written to DATA_DIR by a start that is going to fail (DATA_DIR may be a stand-in).
    const persist = s.env === 'development' && parseProblems.length === 0 && problems.length === 0;
    return Buffer.from(devSecret(s.dataDir, name, persist));
  };

  const algorithm = s.jwt.algorithm ?? (s.jwt.secret ? 'HS256' : 'ES256');
  const hmac = isHmac(algorithm);
  const { email, password } = s.admin;
  const appUrl = (s.appUrl ?? `http://localhost:${s.port}`).replace(/\/+$/, '');
  const config = {
    ...s,
    database: { ...s.database, url: s.database.url ?? `sqlite:${resolve(s.dataDir, 'tessera.db')}` },
    jwt: {
      ...s.jwt,
      algorithm,
      /** A URL by default, as discovery needs (resource services find the JWKS from it); a JWT_ISSUER set is kept as it is. */
      issuer: s.jwt.issuer ?? appUrl,
      /** JWT_ISSUER's default before it became APP_URL: refresh tokens issued under it stay good (refresh-token.ts). */
      formerIssuers: s.jwt.issuer === undefined ? ['tessera'] : [],
      /** HMAC secret for access tokens; set only with an HS* algorithm. */
      secret: hmac ? secret('JWT_SECRET', s.jwt.secret) : undefined,
      refreshSecret: secret('JWT_REFRESH_SECRET', s.jwt.refreshSecret),
      /** Encrypts private signing keys at rest; set only with an asymmetric algorithm. */
      keyEncryptionSecret: hmac ? undefined : secret('KEY_ENCRYPTION_SECRET', s.jwt.keyEncryptionSecret),
    },
    cookieSecure: s.cookieSecure ?? production,
    logFormat: s.logFormat ?? (s.env === 'development' ? 'pretty' : 'json'),
    // An origin that does not parse is already a problem (check()); it is left out here so that every problem is reported.
    corsOrigins: (s.corsOrigins ?? []).filter((origin) => URL.canParse(origin)).map((origin) => new URL(origin).origin),
    admin: email && password ? { email, password } : undefined,
    mail: { ...s.mail, outboxDir: s.mail.outboxDir ?? resolve(s.dataDir, 'outbox') },
    appUrl,
    /** Notices about unsafe defaults, logged once at start. */
    warnings,
  };
  if (production && !s.mail.smtpUrl) {
    warnings.push(`SMTP_URL is not set: mails (verification, password reset) are written to ${config.mail.outboxDir} and not sent`);
  }
  const found = [
    ...(unknownFail ? unknown : []),
    ...parseProblems,
    ...problems.filter((problem) => ![...failed].some((name) => mentions(problem, name))),
  ];
  if (found.length > 0) {
    // Elsewhere they are warnings, but listed with the problems, which a typo often explains.
    const after = unknownFail ? [ALLOW_UNKNOWN] : unknown.length > 0 ? ['Also:', ...unknown.map((note) => `  - ${note}`)] : [];
    throw configError(found, after);
  }
  warnings.unshift(...unknown);
  return config;
}
