import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import { createAuditLog } from '../audit/audit-log.ts';
import type { Config } from '../config/config.ts';
import type { DatabaseHandle } from '../db/create-db.ts';
import { systemClock } from '../lib/clock.ts';
import { createLogger } from '../lib/logger.ts';
import { ROLE_PATTERN } from '../rbac/roles.ts';
import { createRevocations } from '../revocation/revocations.ts';
import { openDatabase, openKeystore } from '../runtime.ts';
import { createServices } from '../services.ts';
import { createEndSessions } from '../sessions/end-sessions.ts';
import { createSessionRepository } from '../sessions/session.repository.ts';
import { createSigningKeysService, type SigningKeysService } from '../tokens/signing-keys.service.ts';
import { createPasswordHasher } from '../users/password.ts';
import { createUserRepository, type UserRepository } from '../users/user.repository.ts';
import { createUsersService, type Actor, type UsersService } from '../users/users.service.ts';

/** An operator's mistake: reported as one line, exit code 1. */
export class CliError extends Error {}

export type Out = (line: string) => void;

export const collect = (value: string, previous: string[]) => [...previous, value];

export function checkRoles(roles: string[]): string[] {
  for (const role of roles) {
    if (!ROLE_PATTERN.test(role)) throw new CliError(`"${role}" is not a valid role name (lowercase, up to 32 characters)`);
  }
  return [...new Set(roles)];
}

/** The OS account that runs the CLI: the audit trail names it as the actor. */
export function cliActor(): Actor {
  let osUser = 'unknown';
  try {
    osUser = userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): the audit event still says 'cli'.
  }
  return { actorId: null, via: 'cli', osUser };
}

/** Runs `fn` with a migrated database from the same configuration the server uses. */
export async function withDatabase<T>(config: Config, fn: (database: DatabaseHandle) => Promise<T>): Promise<T> {
  const database = await openDatabase(config);
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

/** Revocations written by the CLI land in the database, where running instances read them within a poll. */
function cliRevocations(config: Config, { db }: DatabaseHandle, logger: Logger) {
  return createRevocations({
    db,
    clock: systemClock,
    logger,
    accessTtlSeconds: config.jwt.accessTtl,
    clockToleranceSeconds: config.jwt.clockTolerance,
    pollMs: config.revocationPollMs,
  });
}

/**
 * The same users service the server runs. Its revocations are written to the database, where
 * every running instance reads them within REVOCATION_POLL_INTERVAL.
 */
export function cliUsers(config: Config, database: DatabaseHandle): { service: UsersService; repository: UserRepository } {
  const { db } = database;
  const logger = createLogger('error');
  const revocations = cliRevocations(config, database, logger);
  const repository = createUserRepository(db);
  const endSessions = createEndSessions({ sessions: createSessionRepository(db), revocations, clock: systemClock });
  const service = createUsersService({
    users: repository,
    endSessions,
    audit: createAuditLog(db, systemClock, logger),
    clock: systemClock,
    passwords: createPasswordHasher(config.hashConcurrency),
  });
  return { service, repository };
}

/** The signing-key service on the same keys as the servers; its key revocations reach them through the database. */
export async function cliSigningKeys(config: Config, database: DatabaseHandle): Promise<SigningKeysService> {
  const logger = createLogger('error');
  return createSigningKeysService({
    keystore: await openKeystore(config, database.db, systemClock),
    revocations: cliRevocations(config, database, logger),
    audit: createAuditLog(database.db, systemClock, logger),
    clock: systemClock,
  });
}

/** Every service, as the server builds them (for commands beyond the users service, e.g. the MFA reset). */
export async function cliServices(config: Config, database: DatabaseHandle) {
  const { db } = database;
  const logger = createLogger('error');
  const revocations = cliRevocations(config, database, logger);
  const keystore = await openKeystore(config, db, systemClock);
  return createServices({ config, db, keystore, revocations, clock: systemClock, logger });
}
