import type { Kysely } from 'kysely';

// Frozen: see 0001_initial.ts.
// - users.email_verified: 0 or 1 (SQLite has no boolean). Accounts made before this version
//   count as verified: their owners could log in yesterday and must still be able to.
// - email_links: verification, password-reset and email-change links; only a hash of the
//   token is kept, and used_at makes each single use.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.updateTable('users').set({ email_verified: 1 }).execute();
  await db.schema
    .createTable('email_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('email_links_user_idx').on('email_links').columns(['user_id', 'purpose']).execute();
  await db.schema.createIndex('email_links_expires_at_idx').on('email_links').column('expires_at').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('email_links').execute();
  await db.schema.alterTable('users').dropColumn('email_verified').execute();
}
