import { PostgresAdapter, type Kysely } from 'kysely';
import type { DatabaseSchema } from '../database.ts';

/**
 * PostgreSQL runs transactions side by side (READ COMMITTED), so a check-then-write needs a row
 * lock there; SQLite runs one write transaction at a time and has no FOR UPDATE.
 */
export const isPostgres = (executor: Kysely<DatabaseSchema>): boolean => executor.getExecutor().adapter instanceof PostgresAdapter;
