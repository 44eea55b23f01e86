import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql, type Generated } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TesseraSqliteDialect } from '../../src/db/sqlite-dialect.ts';

interface Schema {
  counter: { id: number; value: number };
  log: { id: Generated<number>; who: string };
}

describe('TesseraSqliteDialect (statements kept, the connection handed on in turn)', () => {
  let dir: string;
  let db: Kysely<Schema>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-dialect-'));
    db = new Kysely<Schema>({ dialect: new TesseraSqliteDialect(new SQLite(join(dir, 'x.db'))) });
    await sql`create table counter (id integer primary key, value integer not null)`.execute(db);
    await sql`create table log (id integer primary key autoincrement, who text not null)`.execute(db);
    await db.insertInto('counter').values({ id: 1, value: 0 }).execute();
  });
  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('transactions that wait between their read and their write still run one at a time (no lost update)', async () => {
    const increment = () =>
      db.transaction().execute(async (trx) => {
        const { value } = await trx.selectFrom('counter').select('value').where('id', '=', 1).executeTakeFirstOrThrow();
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        await trx
          .updateTable('counter')
          .set({ value: value + 1 })
          .where('id', '=', 1)
          .execute();
      });
    await Promise.all(Array.from({ length: 50 }, increment));
    expect((await db.selectFrom('counter').select('value').executeTakeFirstOrThrow()).value).toBe(50);
  });

  it('hands the connection on in the order it was asked for, and a failed transaction rolls back and releases it', async () => {
    const order: string[] = [];
    const work = (who: string, fail = false) =>
      db.transaction().execute(async (trx) => {
        order.push(who);
        await trx.insertInto('log').values({ who }).execute();
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (fail) throw new Error(`${who} failed`);
      });
    const results = await Promise.allSettled([work('a'), work('b', true), work('c'), work('d')]);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((await db.selectFrom('log').select('who').orderBy('id').execute()).map((r) => r.who)).toEqual(['a', 'c', 'd']);
  });

  it('a kept statement runs again with new values; results, affected rows and insert ids are as Kysely reports them', async () => {
    for (const who of ['x', 'y', 'z']) {
      const inserted = await db.insertInto('log').values({ who }).executeTakeFirst();
      expect(typeof inserted.insertId).toBe('bigint');
    }
    const find = (who: string) => db.selectFrom('log').select('who').where('who', '=', who).execute();
    expect(await find('y')).toEqual([{ who: 'y' }]);
    expect(await find('z')).toEqual([{ who: 'z' }]);
    const updated = await db.updateTable('log').set({ who: 'w' }).where('who', 'in', ['x', 'y']).executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(2n);
  });

  it('streams a select', async () => {
    await db
      .insertInto('log')
      .values(['a', 'b', 'c'].map((who) => ({ who })))
      .execute();
    const query = db.selectFrom('log').select('who').orderBy('id');
    const seen: string[] = [];
    for await (const row of query.stream()) seen.push(row.who);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('rolls back to a savepoint inside a transaction', async () => {
    const trx = await db.startTransaction().execute();
    await trx.insertInto('log').values({ who: 'kept' }).execute();
    const inner = await trx.savepoint('before "undone"').execute();
    await inner.insertInto('log').values({ who: 'undone' }).execute();
    const back = await inner.rollbackToSavepoint('before "undone"').execute();
    await back.releaseSavepoint('before "undone"').execute();
    await trx.commit().execute();
    expect((await db.selectFrom('log').select('who').execute()).map((r) => r.who)).toEqual(['kept']);
  });
});
