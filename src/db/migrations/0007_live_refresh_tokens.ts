import { sql, type Kysely } from 'kysely';

// Frozen: see 0001_initial.ts.
// - refresh_tokens_live_idx: the live tokens of a session (used_at is null; one, or two after a
//   grace exchange). Rotation retires a session's other live tokens with `session_id = ? and
//   used_at is null`; on the session_id index alone that read every token the session ever had,
//   so each rotation cost more than the last (a week of 15-minute refreshes is ~700 rows).
//   On PostgreSQL the build blocks writes to refresh_tokens while it runs (seconds per million
//   rows); a large installation can create it CONCURRENTLY by hand first (same name: this one is
//   then skipped, `ifNotExists`).

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('refresh_tokens_live_idx')
    .ifNotExists()
    .on('refresh_tokens')
    .column('session_id')
    .where(sql.ref('used_at'), 'is', null)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('refresh_tokens_live_idx').execute();
}
