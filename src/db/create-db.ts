import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { CamelCasePlugin, Kysely, PostgresDialect, sql } from 'kysely';
import type { DatabaseSchema, Db, Dialect } from '../database.ts';
import { ConfigError } from '../config/errors.ts';
import { ensurePrivateFile, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, tighten } from '../lib/private-files.ts';
import { existsSync, mkdirSync } from 'node:fs';
import { TesseraSqliteDialect } from './sqlite-dialect.ts';

export interface DatabaseHandle {
  db: Db;
  dialect: Dialect;
  /** Resolves true when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

function handle(db: Db, dialect: Dialect): DatabaseHandle {
  return {
    db,
    dialect,
    ping: async () => {
      await sql`select 1`.execute(db);
      return true;
    },
    close: () => db.destroy(),
  };
}

const PG_INT8 = 20;

/**
 * How long a request waits for a pooled connection: a new one to a server that does not answer
 * (a host down or a partition drops packets, where TCP alone would wait about two minutes), or a
 * free one when all are busy. Past it the request fails as `unavailable` (503, lib/database-unavailable.ts).
 * Healthy waits are milliseconds; 10 s leaves a loaded pool plenty and still ends a hang.
 */
const CONNECT_TIMEOUT_MS = 10_000;

/** Opens SQLite (`sqlite:<path>`, `sqlite::memory:`) or PostgreSQL (`postgres://…`). */
export function createDb(url: string, options: { poolSize?: number; onError?: (error: Error) => void } = {}): DatabaseHandle {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    // Epoch-millisecond bigints fit in a double; parse them as numbers on this pool only
    // (pg.types.setTypeParser would change every pool in the process).
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8 ? (value: string) => Number(value) : (pg.types.getTypeParser(oid, format) as (value: string) => unknown),
    };
    // TCP keep-alive: a connection whose server vanished without a reset (a partition, a failover
    // to another host) is found dead by the kernel instead of holding its pool slot indefinitely.
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      types,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // A client that loses its connection emits 'error' on itself. Idle, pg-pool listens too and
    // re-emits it on the pool; checked out (a backend killed mid-query, an immediate shutdown, a
    // failover) nothing did, and the unhandled event ended the process. Every client now has its
    // own listener, which reports the loss once, idle or not; its work fails on its own and the
    // pool discards it. The pool's event still needs a listener, or it would be the crash.
    pool.on('connect', (client) => client.on('error', (error) => options.onError?.(error)));
    pool.on('error', () => {});
    const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
    return handle(db, 'postgres');
  }
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:') {
      // A new folder is private; an existing one may be shared (/var/lib, /tmp) and is left as it is.
      if (!existsSync(dirname(path))) mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
      // SQLite gives its -wal and -shm files the database file's mode, so 0600 here covers them.
      ensurePrivateFile(path);
    }
    const database = new SQLite(path);
    database.pragma('journal_mode = WAL');
    // -wal/-shm left by an older version with wider modes.
    if (path !== ':memory:') for (const suffix of ['-wal', '-shm']) tighten(path + suffix, PRIVATE_FILE_MODE);
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
    // A file this process may read but not write opens read-only without a word: find out at
    // start (db/startup-errors.ts says what to do), not at the first signup. Rewrites one header field.
    if (path !== ':memory:') database.pragma(`user_version = ${Number(database.pragma('user_version', { simple: true }))}`);
    const db = new Kysely<DatabaseSchema>({
      dialect: new TesseraSqliteDialect(database),
      plugins: [new CamelCasePlugin()],
    });
    return handle(db, 'sqlite');
  }
  throw new ConfigError('DATABASE_URL must start with sqlite: or postgres://');
}
