/**
 * Bulk seeding straight into a SQLite file, before the server starts: N users, each with
 * one live session and one live refresh token, in the exact columns of
 * src/db/migrations/0001_initial.ts. Every user shares one precomputed argon2 hash of
 * PASSWORD, so any of them can log in; a few sessions get real refresh tokens (signed
 * with the server's JWT_REFRESH_SECRET, stored by hash) so that `refresh` can run
 * against rows spread through the whole table.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { createDb } from '../../src/db/create-db.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { hashPassword } from '../../src/users/password.ts';
import { sha256 } from '../../src/lib/hash.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createRefreshTokens } from '../../src/tokens/refresh-token.ts';
import { email, PASSWORD } from './seed.ts';

const ROWS_PER_TRANSACTION = 50_000;
const DAY_MS = 86_400_000;

/** Creates the schema with the server's own migrations. */
export async function migrateSqlite(path: string): Promise<void> {
  const database = createDb(`sqlite:${path}`);
  try {
    await migrateToLatest(database.db);
  } finally {
    await database.close();
  }
}

let sharedHash: Promise<string> | undefined;
/** One argon2id hash of PASSWORD, with the server's parameters, reused for every seeded user. */
const passwordHash = () => (sharedHash ??= hashPassword(PASSWORD));

export interface ScaleSeed {
  seconds: number;
  /** Email of seeded user i. */
  email(i: number): string;
  /** Refresh tokens of randomly chosen seeded sessions, one per session. */
  refreshTokens: string[];
}

export async function seedScale(
  path: string,
  options: { users: number; prefix: string; mint: number; refreshSecret: string; issuer?: string },
): Promise<ScaleSeed> {
  const started = performance.now();
  await migrateSqlite(path);
  const hash = await passwordHash();
  const signer = createRefreshTokens({
    secret: Buffer.from(options.refreshSecret),
    clock: systemClock,
    issuer: options.issuer ?? 'tessera',
    ttlSeconds: 7 * 86_400,
    clockToleranceSeconds: 5,
  });
  const minted = new Map<number, string>();
  while (minted.size < Math.min(options.mint, options.users)) minted.set(Math.floor(Math.random() * options.users), '');

  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1048576'); // 1 GiB while seeding: random keys touch every index page
  const insertUser = db.prepare(
    `insert into users (id, email, name, password_hash, roles, disabled, created_at, updated_at)
     values (?, ?, null, ?, '["user"]', 0, ?, ?)`,
  );
  const insertSession = db.prepare(
    `insert into sessions (id, user_id, created_at, last_used_at, expires_at, absolute_expires_at, revoked_at, revoke_reason, user_agent, ip)
     values (?, ?, ?, ?, ?, null, null, null, 'tessera-bench', '127.0.0.1')`,
  );
  const insertToken = db.prepare(
    `insert into refresh_tokens (token_hash, session_id, created_at, expires_at, used_at, replaced_by)
     values (?, ?, ?, ?, null, null)`,
  );
  const now = Date.now();
  const insertRange = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i += 1) {
      const userId = randomUUID();
      const sessionId = randomUUID();
      insertUser.run(userId, email(options.prefix, i), hash, now, now);
      insertSession.run(sessionId, userId, now, now, now + 7 * DAY_MS);
      let tokenHash: string;
      if (minted.has(i)) {
        const token = signer.sign({ sub: userId, sid: sessionId }).token;
        minted.set(i, token);
        tokenHash = sha256(token);
      } else {
        tokenHash = randomBytes(32).toString('base64url');
      }
      insertToken.run(tokenHash, sessionId, now, now + 7 * DAY_MS);
    }
  });
  try {
    for (let from = 0; from < options.users; from += ROWS_PER_TRANSACTION) {
      insertRange(from, Math.min(options.users, from + ROWS_PER_TRANSACTION));
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  // Written with synchronous=OFF: flush now, or the kernel writes the file back (up to a
  // gigabyte) while the first scenario runs, and slows it.
  const fd = openSync(path, 'r');
  fsyncSync(fd);
  closeSync(fd);
  return {
    seconds: (performance.now() - started) / 1000,
    email: (i) => email(options.prefix, i),
    refreshTokens: [...minted.values()],
  };
}
