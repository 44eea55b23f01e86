import { sql, type Kysely } from 'kysely';
import type { Revocation } from '../lib/revocation-index.ts';
import { isPostgres } from '../db/dialect.ts';
import type { DatabaseSchema, Db } from '../database.ts';

export type { Revocation };

/**
 * A signing key removed at once (`id` is its kid): every instance drops it from its keystore.
 * Server-side only: the revocation feed carries sessions and tokens, not keys.
 */
export interface KeyRevocation {
  id: string;
  kind: 'kid';
  createdAt: number;
  expiresAt: number;
}

/** Any row of the `revocations` table. */
export type StoredRevocation = Revocation | KeyRevocation;

/** A revocation row with its place in commit order (the feed's event id). */
export type SequencedRevocation = Revocation & { seq: number };
export type SequencedStoredRevocation = StoredRevocation & { seq: number };

export const isKeyRevocation = (row: StoredRevocation): row is KeyRevocation => row.kind === 'kid';

/** Any key for pg_advisory_xact_lock, as long as only revocation writers use it. */
const REVOCATION_LOCK = 7_402_918_311;

/**
 * Inserts revocation rows inside `trx`. A reader that has seen `seq` N must never later find a
 * row with a smaller `seq` committing: on PostgreSQL, transactions that draw sequence numbers
 * can commit out of order, so writers take one transaction-scoped lock before drawing theirs
 * (SQLite has a single writer already). Writers are rare (sessions ending), and the lock is
 * the last step before commit, so nothing waits behind it for long.
 */
export async function insertRevocations(trx: Kysely<DatabaseSchema>, rows: StoredRevocation[]): Promise<void> {
  if (rows.length === 0) return;
  if (isPostgres(trx)) {
    await sql`select pg_advisory_xact_lock(${REVOCATION_LOCK})`.execute(trx);
  }
  await trx
    .insertInto('revocations')
    .values(rows)
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export function createRevocationRepository(db: Db) {
  return {
    async add(revocations: StoredRevocation[]): Promise<void> {
      await db.transaction().execute((trx) => insertRevocations(trx, revocations));
    },

    /** Revocations committed after sequence number `after` that still cover live tokens, and the new cursor. */
    async after(after: number, now: number): Promise<{ rows: SequencedStoredRevocation[]; cursor: number }> {
      const rows = await db
        .selectFrom('revocations')
        .select(['seq', 'id', 'kind', 'createdAt', 'expiresAt'])
        .where('seq', '>', after)
        .orderBy('seq')
        .execute();
      const cursor = rows.at(-1)?.seq ?? after;
      return { rows: rows.filter((row) => row.expiresAt > now), cursor };
    },

    /** The highest sequence number committed (0 for none). */
    async latest(): Promise<number> {
      const row = await db
        .selectFrom('revocations')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirst();
      return Number(row?.seq ?? 0);
    },

    async prune(now: number): Promise<number> {
      const result = await db.deleteFrom('revocations').where('expiresAt', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type RevocationRepository = ReturnType<typeof createRevocationRepository>;
