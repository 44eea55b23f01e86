import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDb, type DatabaseHandle } from '../../src/db/create-db.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

/** Which database this vitest project runs on (see vitest.config.ts). */
export const TEST_DIALECT = process.env.TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite';

/**
 * A fresh, empty database for one test app: a SQLite file in `dir`, or on the PostgreSQL
 * project a new database on the TEST_DATABASE_URL server, dropped again by `drop()`.
 */
export async function freshDatabase(dir: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (TEST_DIALECT === 'sqlite') return { url: `sqlite:${join(dir, 'tessera.db')}`, drop: async () => {} };
  const admin = process.env.TEST_DATABASE_URL;
  if (!admin) throw new Error('the postgres project needs TEST_DATABASE_URL');
  const name = `tessera_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A fresh database of this project's dialect, migrated, opened with createDb: for tests of the
 * storage layer itself. `close()` closes it and removes the database and its folder.
 */
export async function migratedDatabase(): Promise<{ handle: DatabaseHandle; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-db-'));
  const database = await freshDatabase(dir);
  const handle = createDb(database.url);
  await migrateToLatest(handle.db);
  return {
    handle,
    async close() {
      await handle.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
