import type { Database, Statement } from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import type { SqliteDatabase } from 'kysely';

/**
 * better-sqlite3 behind Kysely with its prepared statements kept, per SQL text. Kysely's
 * SQLite driver prepares every query it runs: SQLite parses and plans the same SQL again on
 * each call, a sixth of a refresh's CPU (bench:profile). Kysely compiles one SQL text per
 * query shape, so a few dozen statements cover the server; the bound is for queries built
 * with a varying number of values (an IN list), which would otherwise grow the cache without end.
 */
export function withStatementCache(database: Database, max = 256): SqliteDatabase {
  const statements = new LRUCache<string, Statement>({ max });
  return {
    close: () => database.close(),
    prepare(sql: string): Statement {
      const cached = statements.get(sql);
      // A statement still being iterated (Kysely's stream()) cannot run again until it is done.
      if (cached && !cached.busy) return cached;
      const statement = database.prepare(sql);
      if (!cached) statements.set(sql, statement);
      return statement;
    },
  };
}
