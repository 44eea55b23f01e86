import type { Logger } from 'pino';
import type { Config } from './config/config.ts';
import { isHmac, type Algorithm } from './lib/algorithms.ts';
import { ConfigError } from './config/errors.ts';
import { createDb, type DatabaseHandle } from './db/create-db.ts';
import { PRIVATE_DIR_MODE, tighten } from './lib/private-files.ts';
import type { Db } from './database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { explainDatabaseError } from './db/startup-errors.ts';
import type { Clock } from './lib/clock.ts';
import { createRevocations, type Revocations } from './revocation/revocations.ts';
import { createDbKeystore } from './tokens/db-keystore.ts';
import { publishDelayMs as keyPublishDelayMs } from './tokens/key-publication.ts';
import { createHmacKeystore } from './tokens/hmac-keystore.ts';
import type { Keystore } from './tokens/keystore.ts';
import { ensureAdmin } from './users/ensure-admin.ts';
import { createSessionRepository } from './sessions/session.repository.ts';
import { createAuditLog } from './audit/audit-log.ts';
import { pino } from 'pino';
import { createRateLimiters, type RateLimiters } from './http/rate-limit.ts';
import { RedisRateLimitStore } from './http/redis-rate-limit-store.ts';
import { createRedisThrottle, type AccountThrottle } from './auth/account-throttle.ts';
import { createServices } from './services.ts';
import { createRedisClients } from './redis/redis-clients.ts';
import { createRedisBroadcast } from './revocation/redis-broadcast.ts';
import { createMailDelivery, type MailDelivery } from './mail/delivery.ts';
import { createMailTransport } from './mail/transports.ts';

export interface Runtime {
  database: DatabaseHandle;
  keystore: Keystore;
  revocations: Revocations;
  /** Shared (Redis) rate limiters when REDIS_URL is set; the app makes in-memory ones otherwise. */
  rateLimiters?: RateLimiters;
  throttle?: AccountThrottle;
  readiness?: Record<string, () => Promise<boolean>>;
  /** Mail out: SMTP_URL, or .eml files in MAIL_OUTBOX_DIR. */
  mail: MailDelivery;
  close(): Promise<void>;
}

export async function openDatabase(config: Config, logger?: Logger): Promise<DatabaseHandle> {
  return (await openMigrated(config, { ...(logger ? { logger } : {}) })).database;
}

/**
 * Opens the database and brings its schema up to date; `applied` names the migrations this call
 * ran. A failure an operator can fix (nothing answers, no such database, a wrong password, a file
 * that cannot be written) is a DatabaseStartupError naming DATABASE_URL and the fix.
 */
export async function openMigrated(
  config: Config,
  options: { logger?: Logger; poolSize?: number } = {},
): Promise<{ database: DatabaseHandle; applied: string[] }> {
  let database: DatabaseHandle | undefined;
  try {
    // DATA_DIR holds the SQLite database or the development secrets: private, also when an older
    // version created it world-readable. With PostgreSQL in production Tessera keeps nothing there.
    if (config.database.url.startsWith('sqlite:') || config.env === 'development') tighten(config.dataDir, PRIVATE_DIR_MODE);
    database = createDb(config.database.url, {
      poolSize: options.poolSize ?? config.database.poolSize,
      onError: (error) => options.logger?.warn({ err: error }, 'database connection lost; the pool will reconnect'),
    });
    const applied = await migrateToLatest(database.db);
    return { database, applied };
  } catch (error) {
    await database?.close().catch(() => {});
    throw explainDatabaseError(config.database.url, error);
  }
}

/**
 * How long a retired key keeps verifying: the access-token lifetime and leeway, plus one key
 * poll, since other instances may sign with it until they notice the rotation.
 */
export const retireWindowMs = (config: Config): number => (config.jwt.accessTtl + config.jwt.clockTolerance) * 1000 + config.keyPollMs;

/** How long a rotated key is published before it signs: see tokens/key-publication.ts. */
export const publishDelayMs = (config: Config): number => keyPublishDelayMs(config.keyPollMs);

export async function openKeystore(config: Config, db: Db, clock: Clock): Promise<Keystore> {
  const alg = config.jwt.algorithm;
  const { secret, keyEncryptionSecret } = config.jwt;
  // loadConfig sets exactly the secret the algorithm needs; the checks only narrow the types.
  if (isHmac(alg)) {
    if (!secret) throw new ConfigError('JWT_SECRET is required for an HMAC algorithm');
    return createHmacKeystore(secret, alg);
  }
  if (!keyEncryptionSecret) throw new ConfigError('KEY_ENCRYPTION_SECRET is required for an asymmetric algorithm');
  return createDbKeystore({
    db,
    clock,
    algorithm: alg as Exclude<Algorithm, `HS${string}`>,
    encryptionSecret: keyEncryptionSecret,
    retireAfterMs: retireWindowMs(config),
    publishDelayMs: publishDelayMs(config),
  });
}

const MAINTENANCE_INTERVAL_MS = 3_600_000;
/** Ended sessions are kept this long (so a late reuse still reads as reuse), then deleted with their tokens. */
const ENDED_SESSION_KEEP_MS = 86_400_000;

/** Deletes sessions ended or expired a day ago, and audit events past AUDIT_RETENTION. */
export async function prune(database: DatabaseHandle, config: Config, clock: Clock): Promise<{ sessions: number; auditEvents: number }> {
  const now = clock.now();
  const sessions = await createSessionRepository(database.db).prune(now - ENDED_SESSION_KEEP_MS);
  const auditEvents = await createAuditLog(database.db, clock, pino({ level: 'silent' })).prune(now - config.auditRetention * 1000);
  return { sessions, auditEvents };
}

/**
 * Everything createApp needs besides config, clock and logger: the migrated database,
 * the keys, and a started revocation index. Shared by server.ts and the tests.
 */
export async function openRuntime(config: Config, clock: Clock, logger: Logger): Promise<Runtime> {
  const database = await openDatabase(config, logger);
  try {
    const keystore = await openKeystore(config, database.db, clock);
    const redis = config.redisUrl ? createRedisClients(config.redisUrl, logger) : undefined;
    const revocations = createRevocations({
      db: database.db,
      clock,
      logger,
      accessTtlSeconds: config.jwt.accessTtl,
      clockToleranceSeconds: config.jwt.clockTolerance,
      pollMs: config.revocationPollMs,
      ...(redis ? { broadcast: createRedisBroadcast(redis, logger) } : {}),
      // `tessera keys revoke` anywhere: the key leaves this instance within a revocation poll, not a key poll.
      onKeysRevoked: (kids) => keystore.forget(kids),
    });
    await revocations.start();
    const mail = createMailDelivery({ transport: createMailTransport(config), logger });
    if (config.admin) {
      const services = createServices({ config, db: database.db, keystore, revocations, clock, logger, mail });
      await ensureAdmin({ users: services.users, repository: services.userRepository, logger }, config.admin);
    }
    // A rotation made elsewhere (CLI, another instance) is picked up within KEY_POLL_INTERVAL;
    // a token signed by a key we have not seen yet triggers an earlier reload (require-auth.ts),
    // and a JWKS request one if the last read is over a second old (jwks.routes.ts).
    const keyPoll = setInterval(() => {
      keystore.reload().catch((error: unknown) => logger.error({ err: error }, 'signing key reload failed'));
    }, config.keyPollMs);
    keyPoll.unref();
    const maintenance = setInterval(() => {
      prune(database, config, clock).catch((error: unknown) => logger.error({ err: error }, 'pruning failed'));
    }, MAINTENANCE_INTERVAL_MS);
    maintenance.unref();
    return {
      database,
      keystore,
      revocations,
      mail,
      ...(redis
        ? {
            rateLimiters: createRateLimiters(config, (prefix) => new RedisRateLimitStore(redis.command, prefix), logger),
            throttle: createRedisThrottle({ max: config.rateLimit.accountMax, windowMs: config.rateLimit.windowMs }, redis.command),
            readiness: { redis: () => redis.ping() },
          }
        : {}),
      async close() {
        clearInterval(keyPoll);
        clearInterval(maintenance);
        revocations.stop();
        mail.close();
        await redis?.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
