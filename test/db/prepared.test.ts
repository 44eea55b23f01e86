import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/create-db.ts';
import { prepared } from '../../src/db/prepared.ts';
import { migratedDatabase } from '../helpers/database.ts';

describe('prepared queries (compiled once, run with new values)', () => {
  let handle: DatabaseHandle;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ handle, close } = await migratedDatabase());
  });
  afterEach(() => close());

  const user = (id: string, email: string) => ({
    id,
    email,
    name: null,
    passwordHash: 'x',
    roles: '["user"]',
    disabled: 0,
    emailVerified: 0,
    mfaEnabled: 0,
    createdAt: 1,
    updatedAt: 1,
  });

  it('each run binds its own values, in a transaction too, and rows come back camelCased', async () => {
    const db = handle.db;
    const insert = prepared(db, ['id', 'email'], (q, v: { id: string; email: string }) =>
      q.insertInto('users').values(user(v.id, v.email)),
    );
    const rename = prepared(db, ['email', 'id'], (q, v: { id: string; email: string }) =>
      q.updateTable('users').set({ email: v.email }).where('id', '=', v.id).where('disabled', '=', 0),
    );
    const find = prepared(db, ['id'], (q, v: { id: string }) =>
      q.selectFrom('users').select(['id', 'email', 'passwordHash']).where('id', '=', v.id),
    );

    await insert(db, { id: 'u1', email: 'a@example.com' });
    await db.transaction().execute(async (trx) => {
      await insert(trx, { id: 'u2', email: 'b@example.com' });
      expect((await rename(trx, { id: 'u2', email: 'c@example.com' })).numAffectedRows).toBe(1n);
    });
    expect((await rename(db, { id: 'nobody', email: 'd@example.com' })).numAffectedRows).toBe(0n);
    expect((await find(db, { id: 'u1' })).rows).toEqual([{ id: 'u1', email: 'a@example.com', passwordHash: 'x' }]);
    expect((await find(db, { id: 'u2' })).rows).toEqual([{ id: 'u2', email: 'c@example.com', passwordHash: 'x' }]);
    expect((await find(db, { id: 'u3' })).rows).toEqual([]);
  });

  it('a rolled-back transaction leaves nothing behind', async () => {
    const db = handle.db;
    const insert = prepared(db, ['id', 'email'], (q, v: { id: string; email: string }) =>
      q.insertInto('users').values(user(v.id, v.email)),
    );
    await expect(
      db.transaction().execute(async (trx) => {
        await insert(trx, { id: 'u9', email: 'z@example.com' });
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    const { rows } = await sql<{ n: number }>`select count(*) as n from users`.execute(db);
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('refuses, when it is made, a value the query does not bind, a value used in JavaScript, and a name it was not given', () => {
    const db = handle.db;
    expect(() =>
      prepared(db, ['id', 'email'], (q, v: { id: string; email: string }) => q.selectFrom('users').select('id').where('id', '=', v.id)),
    ).toThrow(/email not bound/);
    expect(() =>
      prepared(db, ['id', 'now'], (q, v: { id: string; now: number }) =>
        q
          .updateTable('users')
          .set({ updatedAt: v.now + 1000 })
          .where('id', '=', v.id),
      ),
    ).toThrow(/now is used as a value/);
    expect(() =>
      prepared(db, ['id'], (q, v: { id: string; email: string }) => q.updateTable('users').set({ email: v.email }).where('id', '=', v.id)),
    ).toThrow(/email is not among its names/);
  });
});
