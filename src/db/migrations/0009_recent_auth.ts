import { sql, type Kysely } from 'kysely';

// Frozen: see 0001_initial.ts.
// - sessions.auth_time: when the session last proved a credential (password, second factor,
//   passkey, provider), epoch ms; every access token of the session carries it as `auth_time`,
//   refreshes included. Sessions from before this version count from their creation.
// - email_links.password_stamp: for an email-change link, the SHA-256 of the password hash the
//   account had when the change was asked for. The change confirms only while it still matches,
//   so a password reset or change by the owner kills a link an attacker asked for.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('auth_time', 'bigint').execute();
  await db
    .updateTable('sessions')
    .set({ auth_time: sql`created_at` })
    .execute();
  await db.schema.alterTable('email_links').addColumn('password_stamp', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('email_links').dropColumn('password_stamp').execute();
  await db.schema.alterTable('sessions').dropColumn('auth_time').execute();
}
