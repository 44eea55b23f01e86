import type { Kysely } from 'kysely';

// Frozen: see 0001_initial.ts.
// - audit_events.request_id: the id of the request that wrote the event, the one its request log
//   line and X-Request-Id carry, so an operator can go from a log line to its audit events and
//   back. Null for events written before this version and by the CLI. Indexed for that look-up.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('request_id', 'text').execute();
  await db.schema.createIndex('audit_events_request_id_idx').on('audit_events').column('request_id').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_events_request_id_idx').execute();
  await db.schema.alterTable('audit_events').dropColumn('request_id').execute();
}
