import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen: see 0001_initial.ts.
// - signing_keys.activates_at: a rotated key is published before it signs (every instance
//   loads it first), so its tokens verify everywhere from the first one.
// - refresh_tokens.grace_used_at: the one extra exchange of a parent inside
//   JWT_REFRESH_REUSE_INTERVAL has been spent.
// - revocations.seq: a database sequence as the poll cursor, so clock skew between
//   instances cannot hide a revocation.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('signing_keys').addColumn('activates_at', 'bigint').execute();
  await db
    .updateTable('signing_keys')
    .set({ activates_at: sql`created_at` })
    .execute();

  await db.schema.alterTable('refresh_tokens').addColumn('grace_used_at', 'bigint').execute();

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table revocations add column seq bigserial`.execute(db);
    await db.schema.createIndex('revocations_seq_idx').on('revocations').column('seq').unique().execute();
  } else {
    // SQLite cannot add an AUTOINCREMENT column: rebuild the table around one.
    await db.schema
      .createTable('revocations_v3')
      .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into revocations_v3 (id, kind, created_at, expires_at)
      select id, kind, created_at, expires_at from revocations order by created_at`.execute(db);
    await db.schema.dropTable('revocations').execute();
    await db.schema.alterTable('revocations_v3').renameTo('revocations').execute();
  }
  await db.schema.createIndex('revocations_expires_at_idx').on('revocations').column('expires_at').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('revocations_expires_at_idx').execute();
  await db.schema.alterTable('refresh_tokens').dropColumn('grace_used_at').execute();
  await db.schema.alterTable('signing_keys').dropColumn('activates_at').execute();
}
