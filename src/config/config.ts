import type { Algorithm } from './schema.ts';

export type NodeEnv = 'development' | 'production' | 'test';
export type RefreshTransport = 'both' | 'cookie' | 'body';

/** The parsed, validated settings. Built once by loadConfig and passed to everything else. */
export interface Config {
  env: NodeEnv;
  port: number;
  /** Worker processes sharing the port (Node cluster). */
  workers: number;
  dataDir: string;
  logLevel: string;
  database: { url: string; poolSize: number };
  redisUrl: string | undefined;
  jwt: {
    algorithm: Algorithm;
    /** HMAC secret for access tokens; set only with an HS* algorithm. */
    secret: Buffer | undefined;
    refreshSecret: Buffer;
    /** Encrypts private signing keys at rest; set only with an asymmetric algorithm. */
    keyEncryptionSecret: Buffer | undefined;
    accessTtl: number;
    refreshTtl: number;
    issuer: string;
    audience: string;
    clockTolerance: number;
    refreshReuseInterval: number;
  };
  sessionMaxLifetime: number | undefined;
  refreshTransport: RefreshTransport;
  cookieSecure: boolean;
  /** __Secure-/__Host- cookie names (COOKIE_PREFIXES). */
  cookiePrefixes: boolean;
  corsOrigins: string[];
  trustProxy: boolean | number | string | undefined;
  admin: { email: string; password: string } | undefined;
  rateLimit: { windowMs: number; accountMax: number; ipMax: number };
  revocationPollMs: number;
  keyPollMs: number;
  /** Verified access tokens remembered per process (0: verify every time). */
  verifyCacheSize: number;
  /** Password hashes computed at once (the rest queue). */
  hashConcurrency: number;
  /** How long audit events are kept, in seconds. */
  auditRetention: number;
  /** Bearer token for GET /metrics; unset: open in development, not served in production. */
  metricsToken: string | undefined;
  /** Slow-client limits, in ms: all headers within `headersMs`, the whole request within `requestMs` (else 408). */
  httpTimeouts: { headersMs: number; requestMs: number };
  /** Notices about unsafe defaults, logged once at start. */
  warnings: string[];
}
