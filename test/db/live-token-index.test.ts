import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/create-db.ts';
import { migratedDatabase, TEST_DIALECT } from '../helpers/database.ts';

/**
 * Rotation retires a session's other live tokens (`session_id = ? and used_at is null`). On
 * the session_id index alone that reads every token the session ever had; the partial index
 * of live tokens keeps it to one or two rows, however long the chain.
 */
describe('the live refresh-token index', () => {
  let handle: DatabaseHandle;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ handle, close } = await migratedDatabase());
  });
  afterAll(() => close());

  const retire = sql`update refresh_tokens set used_at = 1 where session_id = 's1' and used_at is null and token_hash != 'h0'`;

  it('the retiring UPDATE of a rotation reads the live tokens through it', async () => {
    const db = handle.db;
    let plan: string;
    if (TEST_DIALECT === 'sqlite') {
      const { rows } = await sql<{ detail: string }>`explain query plan ${retire}`.execute(db);
      plan = rows.map((row) => row.detail).join('\n');
    } else {
      // A planner facing an empty table may prefer a scan; with scans off it shows which index it can use.
      plan = await db.connection().execute(async (connection) => {
        await sql`set enable_seqscan = off`.execute(connection);
        const { rows } = await sql<{ 'QUERY PLAN': string }>`explain ${retire}`.execute(connection);
        await sql`reset enable_seqscan`.execute(connection);
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      });
    }
    expect(plan).toContain('refresh_tokens_live_idx');
  });
});
