import type { Command } from 'commander';
import { AUDIT_TYPES, createAuditLog, type AuditEvent } from '../audit/audit-log.ts';
import type { Config } from '../config/config.ts';
import { parseDurationMs } from '../config/duration.ts';
import { systemClock } from '../lib/clock.ts';
import { createLogger } from '../lib/logger.ts';
import { normalizeEmail } from '../users/email.ts';
import { createUserRepository } from '../users/user.repository.ts';
import { CliError, withDatabase, type Out } from './context.ts';

interface AuditOptions {
  user?: string;
  type?: string;
  since?: string;
  limit: string;
  json?: boolean;
}

const MAX_LIMIT = 10_000;

/** A value as the table shows it: plain when it is one printable word, else JSON-quoted (no escape sequence reaches the terminal). */
const shown = (value: unknown): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[\x21-\x7e]+$/.test(text) && !text.includes('"') ? text : JSON.stringify(text);
};

const detailsText = (event: AuditEvent, emailOf: Map<string, string>): string => {
  const pairs = Object.entries(event.details ?? {}).map(([key, value]) => `${key}=${shown(value)}`);
  if (event.actorId) pairs.unshift(`actor=${shown(emailOf.get(event.actorId) ?? event.actorId)}`);
  return pairs.join(' ');
};

/** Columns padded to their widest cell; the last one (details) is left as it is. */
function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function parseOptions(opts: AuditOptions): { type?: string; sinceMs?: number; limit: number } {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new CliError(`--limit: a whole number from 1 to ${MAX_LIMIT}`);
  if (opts.type !== undefined && !(AUDIT_TYPES as readonly string[]).includes(opts.type)) {
    throw new CliError(`--type: no event type "${opts.type}"; one of ${AUDIT_TYPES.join(', ')}`);
  }
  let sinceMs: number | undefined;
  if (opts.since !== undefined) {
    sinceMs = parseDurationMs(opts.since);
    if (sinceMs === undefined || sinceMs <= 0) throw new CliError(`--since: "${opts.since}" is not a duration (e.g. 30m, 1h, 7d)`);
  }
  return { limit, ...(opts.type !== undefined ? { type: opts.type } : {}), ...(sinceMs !== undefined ? { sinceMs } : {}) };
}

/**
 * `tessera audit`: the security trail the admin API serves (GET /api/admin/audit), read from the
 * database. The newest events, printed oldest first as a log reads; each names the request that
 * wrote it (the requestId of its request log line).
 */
export function addAuditCommand(program: Command, config: () => Config, out: Out): void {
  program
    .command('audit')
    .description('print the audit log: the newest events (oldest of them first), with the request id of the log line that goes with each')
    .option('--user <email>', 'only events about this user')
    .option('--type <type>', `only events of this type (${AUDIT_TYPES.slice(0, 3).join(', ')}, …)`)
    .option('--since <duration>', 'only events of the last such time, as the duration settings read it (30m, 1h, 7d)')
    .option('--limit <n>', 'at most this many events (the newest)', '100')
    .option('--json', 'one JSON object a line instead of a table')
    .action(async (opts: AuditOptions) => {
      const { type, sinceMs, limit } = parseOptions(opts);
      await withDatabase(config(), async ({ db }) => {
        const users = createUserRepository(db);
        let userId: string | undefined;
        if (opts.user !== undefined) {
          const found = await users.findByEmail(normalizeEmail(opts.user));
          if (!found) throw new CliError(`no user with email ${opts.user}`);
          userId = found.id;
        }
        const events = await createAuditLog(db, systemClock, createLogger('error')).list({
          limit,
          ...(userId ? { userId } : {}),
          ...(type ? { type } : {}),
          ...(sinceMs !== undefined ? { since: systemClock.now() - sinceMs } : {}),
        });
        events.reverse();
        const emailOf = new Map<string, string>();
        for (const id of new Set(events.flatMap((e) => [e.userId, e.actorId]))) {
          const user = id ? await users.findById(id) : undefined;
          if (id && user) emailOf.set(id, user.email);
        }
        if (opts.json) {
          for (const e of events) {
            out(
              JSON.stringify({
                ...e,
                createdAt: new Date(e.createdAt).toISOString(),
                userEmail: e.userId ? (emailOf.get(e.userId) ?? null) : null,
              }),
            );
          }
          return;
        }
        if (events.length === 0) {
          out('no audit events');
          return;
        }
        const rows = events.map((e) => [
          new Date(e.createdAt).toISOString(),
          e.type,
          e.userId ? (emailOf.get(e.userId) ?? e.userId) : '-',
          e.ip ? shown(e.ip) : '-',
          e.requestId ?? '-',
          detailsText(e, emailOf),
        ]);
        for (const line of table([['time', 'type', 'user', 'ip', 'request', 'details'], ...rows])) out(line);
      });
    });
}
