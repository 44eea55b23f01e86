import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from '../database.ts';
import * as initial from './migrations/0001_initial.ts';
import * as auditEvents from './migrations/0002_audit_events.ts';
import * as hardening from './migrations/0003_hardening.ts';
import * as serviceClients from './migrations/0004_service_clients.ts';
import * as email from './migrations/0005_email.ts';
import * as mfa from './migrations/0006_mfa.ts';
import * as liveRefreshTokens from './migrations/0007_live_refresh_tokens.ts';
import * as rotateFunction from './migrations/0008_rotate_function.ts';
import * as recentAuth from './migrations/0009_recent_auth.ts';
import * as auditRequestId from './migrations/0010_audit_request_id.ts';

/** Migrations live in code (no directory scan), so they ship inside any bundle. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_audit_events': auditEvents,
  '0003_hardening': hardening,
  '0004_service_clients': serviceClients,
  '0005_email': email,
  '0006_mfa': mfa,
  '0007_live_refresh_tokens': liveRefreshTokens,
  '0008_rotate_function': rotateFunction,
  '0009_recent_auth': recentAuth,
  '0010_audit_request_id': auditRequestId,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Brings the schema up to date; returns the names of the migrations it applied. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
