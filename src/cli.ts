import { Command } from 'commander';
import { addAuditCommand } from './cli/audit.commands.ts';
import { addClientCommands } from './cli/clients.commands.ts';
import { addKeyCommands } from './cli/keys.commands.ts';
import { CliError } from './cli/context.ts';
import type { CliInput } from './cli/password-input.ts';
import { addUserCommands } from './cli/users.commands.ts';
import { ConfigError } from './config/errors.ts';
import { loadConfig } from './config/load-config.ts';
import { readEnv } from './config/read-env.ts';
import { DomainError } from './lib/errors.ts';
import { createLogger } from './lib/logger.ts';
import { openMigrated } from './runtime.ts';

export function buildCli(env: Record<string, string | undefined>, out: (line: string) => void, input: CliInput = processInput()): Command {
  const config = () => loadConfig(env);
  const program = new Command('tessera').description('Tessera auth server administration').exitOverride();

  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action(async () => {
      const { database, applied } = await openMigrated(config(), { poolSize: 1 });
      await database.close();
      out(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
    });

  program
    .command('serve')
    .description('start the server (the same as `node dist/server.js` or `npm start`)')
    .action(async () => {
      const { startServer, failedToStart } = await import('./server.ts');
      await startServer().catch(failedToStart);
    });

  addUserCommands(program, config, out, input);
  addKeyCommands(program, config, out);
  addClientCommands(program, config, out);
  addAuditCommand(program, config, out);

  return program;
}

/** The process's own stdin, and stderr for prompts (stdout may be read by a script). */
const processInput = (): CliInput => ({ stdin: process.stdin, prompts: process.stderr });

/** Runs the CLI; returns the exit code. Errors are one line, never a stack. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  out = console.log,
  err = console.error,
  input: CliInput = processInput(),
) {
  const program = buildCli(env, out, input);
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
    if (error instanceof DomainError) {
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
