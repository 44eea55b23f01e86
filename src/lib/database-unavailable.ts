import { DomainError } from './errors.ts';

/**
 * How long a client should wait before trying again when the database is out of reach. A
 * backend killed mid-query (crash recovery), a restart or a pool that cannot connect usually
 * heals within a second or two; a failover takes longer, and a client that retries every 2 s
 * for a few tries covers the short cases without hammering a server that is coming back.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/**
 * SQLSTATEs that mean the server cannot serve us now, not that the query is wrong: the connection
 * exceptions of class 08 (not 08P01, a protocol violation, which is our bug), too many
 * connections, and the 57P0x shutdowns (admin or immediate shutdown, crash of another backend,
 * "the database system is starting up / in recovery mode").
 */
const UNAVAILABLE_SQLSTATE = /^(08000|08001|08003|08004|08006|53300|57P01|57P02|57P03)$/;

/** Socket errors of a connection that cannot be made or was cut. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * node-postgres and pg-pool raise these as plain Errors, without a code: a connection lost
 * mid-query (the backend was killed, the server stopped), a client whose connection already
 * failed, and the pool's connect timeout.
 */
const DRIVER_MESSAGES = new Set([
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
]);

/** SQLite answers SQLITE_BUSY (or an extended BUSY code) only after its busy timeout ran out. */
const isSqliteBusy = (code: string) => code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_');

/**
 * Whether an error means the database cannot be reached right now (unreachable, connection lost,
 * too many connections, shutting down or recovering, SQLite locked beyond its busy timeout): a
 * state that passes, so a 503 the client can retry. Anything else (a constraint, a bad query, a
 * missing table) is a bug or a conflict and stays a 500. Looks through `cause` and the `errors`
 * of an AggregateError (Node's connect to every address of a name).
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const { code, message, cause, errors } = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || NETWORK_CODES.has(code) || isSqliteBusy(code))) return true;
  if (typeof message === 'string' && DRIVER_MESSAGES.has(message)) return true;
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}

/**
 * The contract's `unavailable` (503, Retry-After) for a database outage. The detail names no
 * component (a client can do nothing with that); the driver's error is logged, never sent.
 */
export const databaseUnavailable = (cause: unknown) =>
  new DomainError('unavailable', 'The service is temporarily unavailable; try again shortly.', {
    cause,
    retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
  });
