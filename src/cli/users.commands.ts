import { Option, type Command } from 'commander';
import { z } from 'zod';
import { SignupBody } from '../auth/auth.schemas.ts';
import type { Config } from '../config/config.ts';
import { normalizeEmail } from '../users/email.ts';
import { Email } from '../users/user.schemas.ts';
import type { Actor, UsersService } from '../users/users.service.ts';
import { createAuditLog } from '../audit/audit-log.ts';
import { systemClock } from '../lib/clock.ts';
import { createLogger } from '../lib/logger.ts';
import { PASSWORD_ON_ARGV, readNewPassword, type CliInput } from './password-input.ts';
import { checkRoles, CliError, cliActor, cliServices, cliUsers, collect, withDatabase, type Out } from './context.ts';

const ImportBody = z.object({ email: Email, name: z.string().trim().min(1).max(100).optional() });

interface CreateOptions {
  email: string;
  passwordStdin?: boolean;
  /** Refused: only declared so that it gets a message saying why and what to use instead. */
  password?: string | boolean;
  passwordHash?: string;
  name?: string;
  role: string[];
}

const problems = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

const IMPORTABLE_HASH = /^(\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}|\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+)$/;

/** `tessera user create|roles|disable|enable`: the same users service as the admin API, audited as the CLI. */
export function addUserCommands(program: Command, config: () => Config, out: Out, input: CliInput): void {
  const user = program.command('user').description('manage users');

  user
    .command('create')
    .description('create a user; the password is prompted for (twice, not shown), or read from stdin with --password-stdin')
    .requiredOption('--email <email>')
    .option('--password-stdin', 'read the password from the first line of stdin (for scripts)')
    .addOption(new Option('--password [password]').hideHelp())
    .option('--password-hash <hash>', 'import an existing bcrypt ($2a$/$2b$/$2y$) or argon2id hash instead of a password')
    .option('--name <name>')
    .addOption(new Option('--role <role>', 'a role (repeatable); default: user').argParser(collect).default([]))
    .action(async (opts: CreateOptions) => {
      if (opts.password !== undefined) throw new CliError(PASSWORD_ON_ARGV);
      if (opts.passwordStdin && opts.passwordHash !== undefined) throw new CliError('give --password-stdin or --password-hash, not both');
      if (opts.passwordHash !== undefined && !IMPORTABLE_HASH.test(opts.passwordHash)) {
        throw new CliError('--password-hash must be a bcrypt ($2a$, $2b$, $2y$) or argon2id hash');
      }
      // Everything else is checked before the password is asked for.
      const identity = ImportBody.safeParse({ email: opts.email, name: opts.name });
      if (!identity.success) throw new CliError(problems(identity.error));
      const roles = checkRoles(opts.role.length ? ['user', ...opts.role] : ['user']);
      let secret: { password: string } | { passwordHash: string };
      if (opts.passwordHash !== undefined) secret = { passwordHash: opts.passwordHash };
      else {
        // A password is checked against the signup rules; an imported hash cannot be, and is re-hashed at first login.
        const password = await readNewPassword(input, opts.passwordStdin === true);
        const body = SignupBody.safeParse({ email: opts.email, password, name: opts.name });
        if (!body.success) throw new CliError(problems(body.error));
        secret = { password: body.data.password };
      }
      const cfg = config();
      await withDatabase(cfg, async (database) => {
        const created = await cliUsers(cfg, database).service.create(
          { email: identity.data.email, name: identity.data.name, roles, ...secret },
          cliActor(),
        );
        out(`created ${created.email} (${created.id}) with roles ${created.roles.join(', ')}`);
      });
    });

  /** Runs an admin change on the user with `email`, as the CLI (audited with the OS account). */
  const changeUser = (email: string, run: (service: UsersService, userId: string, actor: Actor) => Promise<string>) => {
    const cfg = config();
    return withDatabase(cfg, async (database) => {
      const { service, repository } = cliUsers(cfg, database);
      const found = await repository.findByEmail(normalizeEmail(email));
      if (!found) throw new CliError(`no user with email ${email}`);
      out(await run(service, found.id, cliActor()));
    });
  };

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
  user
    .command('verify')
    .description("mark a user's email address verified (for an operator who has checked it another way)")
    .requiredOption('--email <email>')
    .action(async (opts: { email: string }) => {
      const cfg = config();
      await withDatabase(cfg, async (database) => {
        const { repository } = cliUsers(cfg, database);
        const found = await repository.findByEmail(normalizeEmail(opts.email));
        if (!found) throw new CliError(`no user with email ${opts.email}`);
        if (found.emailVerified) {
          out(`${found.email} was already verified`);
          return;
        }
        await repository.markEmailVerified(found.id, found.email, systemClock.now());
        const actor = cliActor();
        await createAuditLog(database.db, systemClock, createLogger('error')).record({
          type: 'email.verified',
          userId: found.id,
          details: { via: 'cli', ...(actor.osUser ? { osUser: actor.osUser } : {}) },
        });
        out(`${found.email} is verified`);
      });
    });
  user
    .command('mfa-reset')
    .description("remove a user's two-factor authentication (lost phone and recovery codes); every session of the user ends")
    .requiredOption('--email <email>')
    .action(async (opts: { email: string }) => {
      const cfg = config();
      await withDatabase(cfg, async (database) => {
        const services = await cliServices(cfg, database);
        const found = await services.userRepository.findByEmail(normalizeEmail(opts.email));
        if (!found) throw new CliError(`no user with email ${opts.email}`);
        await services.mfa.reset(found.id, cliActor());
        // The user's notice goes out in the background: wait for it (and its retries) before exiting.
        await services.mail.idle();
        out(`${found.email}: two-factor authentication removed, every session ended; they log in with the password alone`);
      });
    });
}
