import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError } from '../config/errors.ts';

/**
 * Why the database could not be opened at start-up (the server, `tessera migrate`, any CLI
 * command): one line an operator can act on, naming DATABASE_URL (password masked), the cause
 * in plain words and the fix. A driver's own words ("connect ECONNREFUSED 127.0.0.1:5999",
 * 'database "x" does not exist') name neither the setting nor what to do.
 */
export class DatabaseStartupError extends ConfigError {
  override name = 'DatabaseStartupError';

  constructor(
    /** What went wrong, stable for logs and tests: `unreachable`, `no_database`, `not_a_database`… */
    readonly reason: string,
    /** DATABASE_URL with its password masked. */
    readonly database: string,
    message: string,
    cause: unknown,
  ) {
    super(`DATABASE_URL ${database}: ${message}`, { cause });
  }
}

/** DATABASE_URL fit for a log line: `postgres://user:***@host:5432/db` (a `password` parameter too). */
export function maskDatabaseUrl(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*:)[^@/]*@/, '$1***@').replace(/([?&]password=)[^&]*/i, '$1***');
}

/** Where a PostgreSQL URL points, with libpq's defaults for what it leaves out. */
function target(url: string) {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // Unparsable: the defaults below still name something.
  }
  const param = (name: string) => parsed?.searchParams.get(name) ?? undefined;
  const user = decodeURIComponent(parsed?.username ?? '') || param('user') || osUser();
  const host = param('host') ?? (decodeURIComponent(parsed?.hostname ?? '') || 'localhost');
  const port = param('port') ?? (parsed?.port || '5432');
  const database = decodeURIComponent(parsed?.pathname.slice(1) ?? '') || user;
  // A host starting with / is a folder holding the server's Unix socket.
  const at = host.startsWith('/') ? `the socket ${host}/.s.PGSQL.${port}` : `${host}:${port}`;
  return { user, host, port, database, at };
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`; // no passwd entry (some containers)
  }
}

/** A word safe in a shell command as it stands, else single-quoted. */
const shellWord = (word: string) => (/^[\w.@%+=:,/-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

interface Found {
  code?: string;
  message: string;
  syscall?: string;
  path?: string;
}

/** `error`, then the `errors` of an AggregateError (Node tries each address of a name) and its `cause`s. */
function details(error: unknown, depth = 0): Found[] {
  if (typeof error !== 'object' || error === null || depth > 4) return [];
  const { code, message, syscall, path, cause, errors } = error as Record<string, unknown>;
  const own: Found = {
    ...(typeof code === 'string' ? { code } : {}),
    message: typeof message === 'string' ? message : '',
    ...(typeof syscall === 'string' ? { syscall } : {}),
    ...(typeof path === 'string' ? { path } : {}),
  };
  const inner = Array.isArray(errors) ? errors.flatMap((e) => details(e, depth + 1)) : [];
  return [own, ...inner, ...details(cause, depth + 1)];
}

type Explanation = [reason: string, message: string];

function explainPostgres(url: string, found: Found[]): Explanation | undefined {
  const t = target(url);
  const has = (code: string) => found.find((f) => f.code === code);
  const says = (pattern: RegExp) => found.find((f) => pattern.test(f.message));
  if (has('ECONNREFUSED')) {
    return [
      'unreachable',
      `nothing answers at ${t.at}. Is PostgreSQL running there? Start it (pg_ctlcluster <version> main start, or systemctl start postgresql), or fix the host and port`,
    ];
  }
  if (has('ENOTFOUND') || has('EAI_AGAIN')) {
    return ['unknown_host', `the host name "${t.host}" cannot be resolved. Check the host in DATABASE_URL (and the DNS)`];
  }
  if (has('ETIMEDOUT') || says(/timeout exceeded when trying to connect|connection timeout/i)) {
    return [
      'timeout',
      `no answer from ${t.at} within 10 s. Check that the host is up and the port right, and that no firewall drops the connection`,
    ];
  }
  if (has('EHOSTUNREACH') || has('ENETUNREACH')) {
    return ['unreachable', `${t.at} cannot be reached (no route to the host). Check the host in DATABASE_URL and the network`];
  }
  if (has('3D000')) {
    const command = ['createdb', '-h', t.host, '-p', t.port, '-U', t.user, t.database].map(shellWord).join(' ');
    return ['no_database', `database "${t.database}" does not exist on ${t.at}. Create it: ${command}`];
  }
  if (has('28P01')) {
    return [
      'wrong_password',
      `password authentication failed for user "${t.user}". Check the password in DATABASE_URL (percent-encode special characters: @ as %40, : as %3A, / as %2F)`,
    ];
  }
  if (says(/client password must be a string|password must be a string/i)) {
    return ['no_password', `the server asks user "${t.user}" for a password and DATABASE_URL gives none: postgres://${t.user}:PASSWORD@…`];
  }
  const role = says(/^role ".*" does not exist/);
  if (role) {
    const command = ['createuser', '-h', t.host, '-p', t.port, '--pwprompt', t.user].map(shellWord).join(' ');
    return ['no_role', `${role.message} on ${t.at}. Create it (${command}, as a superuser), or name an existing role in DATABASE_URL`];
  }
  const hba = says(/no pg_hba\.conf entry|pg_hba\.conf rejects/);
  if (hba) {
    if (/no encryption|SSL off/i.test(hba.message)) {
      return ['ssl_required', `the server accepts this user only over SSL (${hba.message}). Add ?sslmode=require to DATABASE_URL`];
    }
    return ['refused', `the server does not let this host in (${hba.message}). Its administrator must allow it in pg_hba.conf`];
  }
  if (says(/does not support SSL/i)) {
    return [
      'ssl_unsupported',
      'the server does not accept SSL and DATABASE_URL asks for it. Remove sslmode (or ssl) from DATABASE_URL, or enable SSL on the server',
    ];
  }
  const tls = found.find((f) => f.code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(f.code));
  if (tls) {
    return [
      'untrusted_certificate',
      `the server's TLS certificate is not trusted (${tls.message}). Name its CA with sslrootcert=<file> in DATABASE_URL, or fix the certificate`,
    ];
  }
  if (has('53300')) {
    return [
      'too_many_connections',
      `${t.at} has no free connection slot. Lower DATABASE_POOL_SIZE (each worker opens that many), or raise the server's max_connections`,
    ];
  }
  if (has('57P03')) return ['starting', `the server at ${t.at} is starting up or recovering. Try again in a moment`];
  const denied = has('42501');
  if (denied) {
    return [
      'permission_denied',
      `user "${t.user}" may not create Tessera's tables in database "${t.database}" (${denied.message}). Make it the database's owner (ALTER DATABASE ${t.database} OWNER TO ${t.user}), or GRANT CREATE ON SCHEMA public TO ${t.user}`,
    ];
  }
  if (has('ECONNRESET') || says(/Connection terminated unexpectedly/)) {
    return ['connection_closed', `${t.at} closed the connection at once. Is it a PostgreSQL server, and does it accept this host?`];
  }
  return undefined;
}

/** Node's words for the file-system errors a database path can meet. */
const FS_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  ENOSPC: 'no space left on the device',
  ENOENT: 'no such file or folder',
};
const FS_ACTIONS: Record<string, string> = { mkdir: 'create the folder', open: 'create the file', chmod: 'change the mode of' };

function explainSqlite(url: string, found: Found[]): Explanation | undefined {
  const raw = url.slice('sqlite:'.length);
  const file = raw === ':memory:' ? raw : resolve(raw);
  const as = `user ${osUser()}`;
  const fs = found.find((f) => f.code && f.code in FS_WORDS && f.syscall);
  if (fs?.code && fs.syscall) {
    const action = FS_ACTIONS[fs.syscall] ?? fs.syscall;
    return [
      'not_writable',
      `cannot ${action} ${fs.path ?? file} as ${as} (${FS_WORDS[fs.code]}). Choose a place this user may write (DATABASE_URL, or DATA_DIR for the default database), or give this user that path`,
    ];
  }
  const code = found.find((f) => f.code?.startsWith('SQLITE_'))?.code;
  if (!code) return undefined;
  if (code === 'SQLITE_NOTADB') {
    return [
      'not_a_database',
      `${file} is not a SQLite database. Point DATABASE_URL at Tessera's database file, or move this file away to start a new one`,
    ];
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return [
      'read_only',
      `${file} is read-only for ${as}. Make the file and its folder writable by this user (chown/chmod), or run as the file's owner`,
    ];
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return [
      'cannot_open',
      `${file} cannot be opened as ${as} (a folder, or a folder this user may not write?). Point DATABASE_URL at a file in a writable folder`,
    ];
  }
  if (code.startsWith('SQLITE_CORRUPT')) return ['corrupt', `${file} is damaged (${found[0]?.message}). Restore it from a backup`];
  if (code === 'SQLITE_FULL') return ['disk_full', `the disk holding ${file} is full. Free some space`];
  if (code.startsWith('SQLITE_BUSY')) {
    return ['locked', `${file} stayed locked by another process for over 5 s (another migration?). Let it finish, then start again`];
  }
  return undefined;
}

/**
 * The error to report when opening or migrating the database at DATABASE_URL failed: a
 * DatabaseStartupError for a cause an operator can fix, else `error` itself (a bug, shown as is).
 */
export function explainDatabaseError(url: string, error: unknown): unknown {
  if (error instanceof ConfigError) return error;
  const found = details(error);
  const explained = url.startsWith('sqlite:') ? explainSqlite(url, found) : explainPostgres(url, found);
  return explained ? new DatabaseStartupError(explained[0], maskDatabaseUrl(url), explained[1], error) : error;
}
