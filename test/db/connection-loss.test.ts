import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { createDb } from '../../src/db/create-db.ts';
import { TEST_DIALECT } from '../helpers/database.ts';

/**
 * Issue 26, fault 1: a PostgreSQL backend that dies while its connection is checked out of the
 * pool (an OOM kill, `pg_ctl stop -m immediate`, a failover) made the client emit 'error' where
 * pg-pool's own listener is detached: unhandled, the process exited.
 */
const APPLICATION = `tessera-connection-loss-${process.pid}`;

describe.runIf(TEST_DIALECT === 'postgres')('a PostgreSQL connection lost while in use', () => {
  it('fails the work on it and reports the loss; the process lives and the pool serves the next query', async () => {
    const url = process.env.TEST_DATABASE_URL!;
    const reported: string[] = [];
    const poolUrl = new URL(url);
    poolUrl.searchParams.set('application_name', APPLICATION);
    const database = createDb(poolUrl.href, { poolSize: 2, onError: (error) => reported.push(error.message) });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // A transaction keeps its connection checked out between statements: kill its backend then.
      const work = database.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        await vi.waitFor(() => expect(reported).toContain('Connection terminated unexpectedly'));
        await sql`select 1`.execute(trx);
      });
      await expect(work).rejects.toThrow();
      // The process is still here (an unhandled 'error' event fails the run), and the pool
      // serves the next query on a new connection.
      await vi.waitFor(() => expect(database.ping()).resolves.toBe(true), { timeout: 2000, interval: 50 });

      // An idle connection that dies (a server restart) is reported once, and the process lives.
      const before = reported.length;
      await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and state = 'idle'", [
        APPLICATION,
      ]);
      await vi.waitFor(() => expect(reported.length).toBe(before + 1));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(reported.length).toBe(before + 1);
      await expect(database.ping()).resolves.toBe(true);
    } finally {
      await admin.end();
      await database.close();
    }
  });
});
