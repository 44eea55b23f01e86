import type { Kysely } from 'kysely';

// Frozen: see 0001_initial.ts.
// - users.mfa_enabled: 0 or 1, set with a confirmed authenticator (login then asks for a code).
// - sessions.amr: JSON array of the methods the login proved, copied into every access token of
//   the session (refreshes included). Sessions from before this version proved a password.
// - mfa_totp: one authenticator per user, its secret sealed (AES-256-GCM), pending until
//   confirmed; last_step is the RFC 6238 step of the last code accepted (no replay).
// - mfa_recovery_codes: HMAC-SHA256 of each code; used_at makes each single use.
// - mfa_challenges: the second step of a login, by the SHA-256 of its token; single use.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('mfa_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('sessions')
    .addColumn('amr', 'text', (c) => c.notNull().defaultTo('["pwd"]'))
    .execute();
  await db.schema
    .createTable('mfa_totp')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('confirmed_at', 'bigint')
    .addColumn('last_step', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('mfa_recovery_codes')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addPrimaryKeyConstraint('mfa_recovery_codes_pk', ['user_id', 'code_hash'])
    .execute();
  await db.schema
    .createTable('mfa_challenges')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('amr', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('mfa_challenges_user_id_idx').on('mfa_challenges').column('user_id').execute();
  await db.schema.createIndex('mfa_challenges_expires_at_idx').on('mfa_challenges').column('expires_at').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['mfa_challenges', 'mfa_recovery_codes', 'mfa_totp']) await db.schema.dropTable(table).execute();
  await db.schema.alterTable('sessions').dropColumn('amr').execute();
  await db.schema.alterTable('users').dropColumn('mfa_enabled').execute();
}
