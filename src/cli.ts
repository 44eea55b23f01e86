import { Command, Option } from 'commander';
import { loadConfig } from './config/load-config.ts';
import { readEnv } from './config/read-env.ts';
import type { Config } from './config/config.ts';
import { ConfigError } from './config/errors.ts';
import { isHmac } from './config/schema.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createDb } from './db/create-db.ts';
import { systemClock } from './lib/clock.ts';
import { newId } from './lib/ids.ts';
import { createLogger } from './lib/logger.ts';
import { normalizeEmail } from './auth/email.ts';
import { hashPassword } from './auth/password.ts';
import { z } from 'zod';
import { Email, SignupBody } from './auth/auth.schemas.ts';
import { ROLE_PATTERN } from './rbac/roles.ts';
import { openDatabase, openKeystore, retireWindowMs } from './runtime.ts';
import { createAuditLog } from './audit/audit-log.ts';
import { createSigningKeyRepository } from './tokens/signing-key.repository.ts';
import { EmailTakenError, createUserRepository, type UserRepository } from './users/user.repository.ts';
import { createUsersService, type Actor, type UsersService } from './users/users.service.ts';
import { createRevocations } from './revocation/revocations.ts';
import { createEndSessions } from './sessions/end-sessions.ts';
import { createSessionRepository } from './sessions/session.repository.ts';
import type { Db } from './db/database.ts';
import { AppError } from './http/errors.ts';
import { userInfo } from 'node:os';

class CliError extends Error {}

const ImportBody = z.object({ email: Email, name: z.string().trim().min(1).max(100).optional() });

const IMPORTABLE_HASH = /^(\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}|\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+)$/;

const collect = (value: string, previous: string[]) => [...previous, value];

function checkRoles(roles: string[]): string[] {
  for (const role of roles) {
    if (!ROLE_PATTERN.test(role)) throw new CliError(`"${role}" is not a valid role name (lowercase, up to 32 characters)`);
  }
  return [...new Set(roles)];
}

/** The OS account that runs the CLI: the audit trail names it as the actor. */
function cliActor(): Actor {
  let osUser = 'unknown';
  try {
    osUser = userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): the audit event still says 'cli'.
  }
  return { actorId: null, via: 'cli', osUser };
}

/**
 * The same users service the server runs. Its revocations are written to the database, where
 * every running instance reads them within REVOCATION_POLL_INTERVAL.
 */
function cliUsersService(cfg: Config, db: Db, users: UserRepository): UsersService {
  const logger = createLogger('error');
  const revocations = createRevocations({
    db,
    clock: systemClock,
    logger,
    accessTtlSeconds: cfg.jwt.accessTtl,
    clockToleranceSeconds: cfg.jwt.clockTolerance,
    pollMs: cfg.revocationPollMs,
  });
  const endSessions = createEndSessions({ sessions: createSessionRepository(db), revocations, clock: systemClock });
  return createUsersService({ users, endSessions, audit: createAuditLog(db, systemClock, logger), clock: systemClock });
}

/** Runs `fn` with a migrated database from the same configuration the server uses. */
async function withDatabase<T>(config: Config, fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const database = await openDatabase(config);
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

export function buildCli(env: Record<string, string | undefined>, out: (line: string) => void): Command {
  const config = () => loadConfig(env);
  const program = new Command('tessera').description('Tessera auth server administration').exitOverride();

  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action(async () => {
      const database = createDb(config().database.url, { poolSize: 1 });
      try {
        const applied = await migrateToLatest(database.db);
        out(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
      } finally {
        await database.close();
      }
    });

  const user = program.command('user').description('manage users');
  user
    .command('create')
    .description('create a user')
    .requiredOption('--email <email>')
    .option('--password <password>')
    .option('--password-hash <hash>', 'import an existing bcrypt ($2a$/$2b$/$2y$) or argon2id hash instead of a password')
    .option('--name <name>')
    .addOption(new Option('--role <role>', 'a role (repeatable); default: user').argParser(collect).default([]))
    .action(async (opts: { email: string; password?: string; passwordHash?: string; name?: string; role: string[] }) => {
      if ((opts.password === undefined) === (opts.passwordHash === undefined)) {
        throw new CliError('give either --password or --password-hash');
      }
      if (opts.passwordHash !== undefined && !IMPORTABLE_HASH.test(opts.passwordHash)) {
        throw new CliError('--password-hash must be a bcrypt ($2a$, $2b$, $2y$) or argon2id hash');
      }
      // A password is checked against the signup rules; an imported hash cannot be, and is re-hashed at first login.
      const body = (opts.password === undefined ? ImportBody : SignupBody).safeParse({
        email: opts.email,
        password: opts.password,
        name: opts.name,
      });
      if (!body.success) throw new CliError(body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      const roles = checkRoles(opts.role.length ? ['user', ...opts.role] : ['user']);
      await withDatabase(config(), async ({ db }) => {
        const now = systemClock.now();
        try {
          const created = await createUserRepository(db).create({
            id: newId(now),
            email: normalizeEmail(body.data.email),
            name: body.data.name ?? null,
            passwordHash: opts.passwordHash ?? (await hashPassword(opts.password!)),
            roles,
            now,
          });
          await createAuditLog(db, systemClock, createLogger('error')).record({
            type: 'user.created',
            userId: created.id,
            details: { roles: created.roles.join(','), via: 'cli', osUser: cliActor().osUser ?? 'unknown' },
          });
          out(`created ${created.email} (${created.id}) with roles ${created.roles.join(', ')}`);
        } catch (error) {
          if (error instanceof EmailTakenError) throw new CliError(`a user with email ${body.data.email} already exists`);
          throw error;
        }
      });
    });
  /** Runs an admin change on the user with `email`, as the CLI (audited with the OS account). */
  const changeUser = (email: string, run: (service: UsersService, userId: string, actor: Actor) => Promise<string>) =>
    withDatabase(config(), async ({ db }) => {
      const cfg = config();
      const users = createUserRepository(db);
      const found = await users.findByEmail(normalizeEmail(email));
      if (!found) throw new CliError(`no user with email ${email}`);
      out(await run(cliUsersService(cfg, db, users), found.id, cliActor()));
    });

  user
    .command('roles')
    .description("replace a user's roles (removing one ends every session of the user)")
    .requiredOption('--email <email>')
    .addOption(new Option('--role <role>', 'a role (repeatable)').argParser(collect).default([]))
    .action(async (opts: { email: string; role: string[] }) => {
      if (opts.role.length === 0) throw new CliError('give at least one --role');
      const roles = checkRoles(opts.role);
      await changeUser(opts.email, async (service, id, actor) => {
        const updated = await service.setRoles(id, roles, actor);
        return `${updated.email} now has roles ${updated.roles.join(', ')}`;
      });
    });
  user
    .command('disable')
    .description('disable a user: every session ends and login is refused (never the last enabled admin)')
    .requiredOption('--email <email>')
    .action(async (opts: { email: string }) => {
      await changeUser(opts.email, async (service, id, actor) => {
        await service.disable(id, actor);
        return `${normalizeEmail(opts.email)} is disabled; every session of the user has ended`;
      });
    });
  user
    .command('enable')
    .description('enable a disabled user again')
    .requiredOption('--email <email>')
    .action(async (opts: { email: string }) => {
      await changeUser(opts.email, async (service, id, actor) => {
        await service.enable(id, actor);
        return `${normalizeEmail(opts.email)} is enabled`;
      });
    });

  const keys = program.command('keys').description('manage signing keys');
  keys
    .command('rotate')
    .description('publish a new signing key; it signs once every running server has loaded it, older keys stay in the JWKS until their tokens expire')
    .action(async () => {
      const cfg = config();
      if (isHmac(cfg.jwt.algorithm)) throw new CliError('HMAC mode signs with JWT_SECRET: rotate by changing it');
      await withDatabase(cfg, async (database) => {
        const keystore = await openKeystore(cfg, database.db, systemClock);
        const key = await keystore.rotate();
        await createAuditLog(database.db, systemClock, createLogger('error')).record({
          type: 'key.rotated',
          details: { kid: key.kid, alg: key.alg, via: 'cli', osUser: cliActor().osUser ?? 'unknown' },
        });
        out(`published ${key.kid} (${key.alg}); running servers sign with it from ${new Date(key.activatesAt).toISOString()}, after their next key poll`);
      });
    });
  keys
    .command('list')
    .description('the keys, their kid, algorithm, state and dates')
    .action(async () => {
      const cfg = config();
      if (isHmac(cfg.jwt.algorithm)) {
        out(`HMAC mode (${cfg.jwt.algorithm}): one key, JWT_SECRET; nothing is stored`);
        return;
      }
      await withDatabase(cfg, async ({ db }) => {
        // Opening the keystore creates the first key if there is none, so the list is never empty.
        await openKeystore(cfg, db, systemClock);
        const rows = await createSigningKeyRepository(db).listAll();
        const coverMs = retireWindowMs(cfg);
        const now = systemClock.now();
        out(['kid', 'alg', 'state', 'created', 'signs from', 'retired'].join('\t'));
        const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
        for (const row of rows) {
          const state =
            row.activatesAt > now ? 'pending'
            : row.retiredAt === null || row.retiredAt > now ? 'active'
            : row.retiredAt + coverMs > now ? 'retiring'
            : 'expired';
          out([row.kid, row.alg, state, iso(row.createdAt), iso(row.activatesAt), iso(row.retiredAt)].join('\t'));
        }
      });
    });

  return program;
}

/** Runs the CLI; returns the exit code. Errors are one line, never a stack. */
export async function runCli(argv: string[], env: Record<string, string | undefined>, out = console.log, err = console.error) {
  const program = buildCli(env, out);
  program.configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
    if (code?.startsWith('commander.')) return 2;
    if (error instanceof CliError || error instanceof ConfigError) {
      err(`tessera: ${error.message}`);
      return 1;
    }
    if (error instanceof AppError) {
      err(`tessera: ${error.detail} (${error.code})`);
      return 1;
    }
    createLogger('error').error({ err: error }, 'command failed');
    err(`tessera: failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

export async function main(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2), readEnv());
}
