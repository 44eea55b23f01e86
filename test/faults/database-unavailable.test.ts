import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/lib/database-unavailable.ts';
import { TEST_DIALECT } from '../helpers/database.ts';

/** The error a promise rejects with (the test fails if it resolves). */
const failure = async (work: () => Promise<unknown>): Promise<unknown> => {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the work to fail');
};

/**
 * Which database errors are an outage (503, retry) and which a bug or conflict (500 or the
 * contract's own code), on errors the drivers really raise, not hand-made look-alikes.
 */
describe('isDatabaseUnavailable', () => {
  // Both projects would run the same driver-level checks: the first two run once, in the SQLite project.
  it.runIf(TEST_DIALECT === 'sqlite')(
    'SQLite: SQLITE_BUSY once the busy timeout ran out is an outage; a constraint or a missing table is not',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'tessera-busy-'));
      const path = join(dir, 'db.sqlite');
      const holder = new SQLite(path);
      const waiter = new SQLite(path);
      try {
        holder.pragma('journal_mode = WAL');
        holder.exec('create table t (id integer primary key)');
        waiter.pragma('busy_timeout = 50');
        holder.exec('begin immediate');
        const busy = (() => {
          try {
            waiter.exec('insert into t values (1)');
          } catch (error) {
            return error;
          }
        })();
        expect((busy as { code?: string }).code).toBe('SQLITE_BUSY');
        expect(isDatabaseUnavailable(busy)).toBe(true);
        holder.exec('commit');

        waiter.exec('insert into t values (1)');
        const conflict = (() => {
          try {
            waiter.exec('insert into t values (1)');
          } catch (error) {
            return error;
          }
        })();
        expect(isDatabaseUnavailable(conflict)).toBe(false);
        const missing = (() => {
          try {
            waiter.exec('select * from nowhere');
          } catch (error) {
            return error;
          }
        })();
        expect(isDatabaseUnavailable(missing)).toBe(false);
      } finally {
        holder.close();
        waiter.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.runIf(TEST_DIALECT === 'sqlite')(
    'an unreachable server (connection refused) is an outage, and so is a pool that cannot connect in time',
    async () => {
      const port = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const address = server.address() as { port: number };
          server.close(() => resolve(address.port));
        });
      });
      const refused = await failure(() => new pg.Client({ connectionString: `postgres://x@127.0.0.1:${port}/x` }).connect());
      expect(isDatabaseUnavailable(refused)).toBe(true);

      // A server that accepts the TCP connection and never answers: the pool's connect timeout.
      const silent = createServer(() => {});
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const pool = new pg.Pool({
        connectionString: `postgres://x@127.0.0.1:${(silent.address() as { port: number }).port}/x`,
        connectionTimeoutMillis: 100,
      });
      try {
        const timedOut = await failure(() => pool.query('select 1'));
        expect(isDatabaseUnavailable(timedOut)).toBe(true);
      } finally {
        await pool.end();
        silent.close();
      }
    },
  );

  it.runIf(TEST_DIALECT === 'postgres')('PostgreSQL: a bad query, a conflict or a missing table is not an outage', async () => {
    const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
    try {
      expect(isDatabaseUnavailable(await failure(() => client.query('select * from nowhere')))).toBe(false);
      expect(isDatabaseUnavailable(await failure(() => client.query('selec 1')))).toBe(false);
      await client.query('create temporary table t (id int primary key)');
      await client.query('insert into t values (1)');
      expect(isDatabaseUnavailable(await failure(() => client.query('insert into t values (1)')))).toBe(false);
      // Ended by an administrator (57P01): the connection is gone, an outage for whoever was using it.
      const victim = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      victim.on('error', () => {});
      await victim.connect();
      const { rows } = await victim.query<{ pid: number }>('select pg_backend_pid() as pid');
      const work = failure(() => victim.query('select pg_sleep(5)'));
      await client.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      const terminated = await work;
      expect(isDatabaseUnavailable(terminated)).toBe(true);
      await victim.end().catch(() => {});
    } finally {
      await client.end();
    }
  });
});
