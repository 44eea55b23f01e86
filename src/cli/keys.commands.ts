import type { Command } from 'commander';
import { createAuditLog } from '../audit/audit-log.ts';
import type { Config } from '../config/config.ts';
import { isHmac } from '../lib/algorithms.ts';
import { systemClock } from '../lib/clock.ts';
import { createLogger } from '../lib/logger.ts';
import { openKeystore, retireWindowMs } from '../runtime.ts';
import { createSigningKeyRepository } from '../tokens/signing-key.repository.ts';
import { DomainError } from '../lib/errors.ts';
import { CliError, cliActor, cliSigningKeys, withDatabase, type Out } from './context.ts';

/** `tessera keys rotate|revoke|list`. */
export function addKeyCommands(program: Command, config: () => Config, out: Out): void {
  const keys = program.command('keys').description('manage signing keys');
  keys
    .command('rotate')
    .description(
      'publish a new signing key; it signs once every running server has loaded it, older keys stay in the JWKS until their tokens expire',
    )
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
        out(
          `published ${key.kid} (${key.alg}); running servers sign with it from ${new Date(key.activatesAt).toISOString()}, after their next key poll`,
        );
      });
    });
  keys
    .command('revoke')
    .description(
      'remove a compromised key at once: it leaves the JWKS, every token it signed is refused by every running server within a second, and if it was signing a new key signs at once',
    )
    .requiredOption('--kid <kid>', 'the key to remove (`tessera keys list` shows them)')
    .action(async (opts: { kid: string }) => {
      const cfg = config();
      if (isHmac(cfg.jwt.algorithm)) {
        throw new CliError(
          'HMAC mode signs with JWT_SECRET and stores no keys to revoke: set a new JWT_SECRET on every instance (tokens signed with the old one are then refused)',
        );
      }
      await withDatabase(cfg, async (database) => {
        const service = await cliSigningKeys(cfg, database);
        const revoked = await service.revoke(opts.kid, cliActor()).catch((error: unknown) => {
          if (error instanceof DomainError && error.code === 'not_found') {
            throw new CliError(`no signing key has the kid ${opts.kid}; \`tessera keys list\` shows the keys`);
          }
          throw error;
        });
        out(
          `revoked ${revoked.kid} (${revoked.alg}); running servers drop it and refuse its tokens within a revocation poll` +
            (revoked.replacement ? `; ${revoked.replacement.kid} signs from now on` : '; it no longer signed, so nothing replaces it'),
        );
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
            row.activatesAt > now
              ? 'pending'
              : row.retiredAt === null || row.retiredAt > now
                ? 'active'
                : row.retiredAt + coverMs > now
                  ? 'retiring'
                  : 'expired';
          out([row.kid, row.alg, state, iso(row.createdAt), iso(row.activatesAt), iso(row.retiredAt)].join('\t'));
        }
      });
    });
}
