import type { Database, Statement } from 'better-sqlite3';
import { CompiledQuery, SelectQueryNode, SqliteDialect, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import { LRUCache } from 'lru-cache';

/**
 * Kysely's SQLite dialect with a driver of our own, for two costs its driver has under
 * concurrent requests (bench:profile, and a refresh loop at 10 concurrent chains):
 *
 * - It prepares every query it runs, so SQLite parses and plans the same SQL each time. Here
 *   statements are kept per SQL text (Kysely compiles one text per query shape; the bound is for
 *   queries whose text varies, an IN list say).
 * - Its lock on the one connection wakes every waiter at each release, and all but one go back
 *   to waiting: with 10 requests queued, most of the lock's cost. Here a release hands the
 *   connection to the next waiter in line, and only to it.
 *
 * Results are reported as Kysely's SqliteDriver reports them, and transactions and savepoints use
 * the same statements.
 */
export class TesseraSqliteDialect extends SqliteDialect {
  readonly #database: Database;

  constructor(database: Database) {
    super({ database });
    this.#database = database;
  }

  override createDriver(): Driver {
    return new QueuedSqliteDriver(this.#database);
  }
}

/** An identifier as SQLite quotes one. */
const quoted = (name: string): string => `"${name.replace(/"/g, '""')}"`;

class QueuedSqliteDriver implements Driver {
  readonly #database: Database;
  readonly #connection: CachedStatementConnection;
  #busy = false;
  readonly #waiting: (() => void)[] = [];

  constructor(database: Database) {
    this.#database = database;
    this.#connection = new CachedStatementConnection(database);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#busy) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#busy = true;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const next = this.#waiting.shift();
    // Handed over still busy: nobody can slip in between this release and the next holder.
    if (next) next();
    else this.#busy = false;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoted(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoted(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoted(name)}`));
  }

  async destroy(): Promise<void> {
    this.#database.close();
  }
}

class CachedStatementConnection implements DatabaseConnection {
  readonly #database: Database;
  readonly #statements = new LRUCache<string, Statement>({ max: 256 });

  constructor(database: Database) {
    this.#database = database;
  }

  #prepare(sql: string): Statement {
    const cached = this.#statements.get(sql);
    // A statement still being iterated (streamQuery) cannot run again until it is done.
    if (cached && !cached.busy) return cached;
    const statement = this.#database.prepare(sql);
    if (!cached) this.#statements.set(sql, statement);
    return statement;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.#prepare(compiledQuery.sql);
    const parameters = compiledQuery.parameters as unknown[];
    if (statement.reader) return Promise.resolve({ rows: statement.all(parameters) as R[] });
    const { changes, lastInsertRowid } = statement.run(parameters);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) throw new Error('Sqlite driver only supports streaming of select queries');
    const statement = this.#prepare(compiledQuery.sql);
    for (const row of statement.iterate(compiledQuery.parameters)) yield { rows: [row as R] };
  }
}
