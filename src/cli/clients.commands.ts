import type { Command } from 'commander';
import { createAuditLog } from '../audit/audit-log.ts';
import { createClientsService } from '../clients/clients.service.ts';
import { createServiceClientRepository } from '../clients/service-client.repository.ts';
import type { Config } from '../config/config.ts';
import type { DatabaseHandle } from '../db/create-db.ts';
import { systemClock } from '../lib/clock.ts';
import { createLogger } from '../lib/logger.ts';
import { CliError, cliActor, withDatabase, type Out } from './context.ts';

const NAME = /^[\p{L}\p{N} ._:/@-]{1,100}$/u;

const clientsOf = ({ db }: DatabaseHandle) =>
  createClientsService({
    clients: createServiceClientRepository(db),
    audit: createAuditLog(db, systemClock, createLogger('error')),
    clock: systemClock,
  });

/** `tessera client create|list|delete`: the services that may read the revocation feed, introspect and revoke. */
export function addClientCommands(program: Command, config: () => Config, out: Out): void {
  const client = program.command('client').description('manage service clients (revocation feed, introspection, revocation)');
  client
    .command('create')
    .description('create a service client; its secret is printed this once and stored only as a hash')
    .requiredOption('--name <name>', 'what the client is, e.g. "orders-api" (letters, digits, spaces and ._:/@-, up to 100)')
    .action(async (opts: { name: string }) => {
      const name = opts.name.trim();
      if (!NAME.test(name)) throw new CliError('--name: 1 to 100 letters, digits, spaces or ._:/@- characters');
      await withDatabase(config(), async (database) => {
        const { client: created, secret } = await clientsOf(database).create(name, cliActor());
        out(`client_id: ${created.id}`);
        out(`client_secret: ${secret}`);
        out('Store the secret now: it is not shown again.');
      });
    });
  client
    .command('list')
    .description('the service clients (never their secrets)')
    .action(async () => {
      await withDatabase(config(), async (database) => {
        const clients = await clientsOf(database).list();
        out(['client_id', 'name', 'created'].join('\t'));
        for (const c of clients) out([c.id, c.name, new Date(c.createdAt).toISOString()].join('\t'));
      });
    });
  client
    .command('delete')
    .description('delete a service client: its requests fail at once, and an open feed stream closes within 15 s')
    .requiredOption('--id <client_id>')
    .action(async (opts: { id: string }) => {
      await withDatabase(config(), async (database) => {
        if (!(await clientsOf(database).delete(opts.id, cliActor()))) throw new CliError(`no client with id ${opts.id}`);
        out(`deleted ${opts.id}`);
      });
    });
}
