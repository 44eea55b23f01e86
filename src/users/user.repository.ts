import { sql, type Transaction } from 'kysely';
import type { DatabaseSchema } from '../database.ts';
import { isPostgres } from '../db/dialect.ts';
import { prepared } from '../db/prepared.ts';
import type { Db } from '../database.ts';
import type { User } from './user.ts';
import { toUser, USER_COLUMNS } from './user-row.ts';

export class EmailTakenError extends Error {
  override name = 'EmailTakenError';
}

export const ADMIN_ROLE = 'admin';

/** Roles are a JSON array of lowercase names (ROLE_PATTERN), so the quoted name matches exactly. */
const ADMIN_ROLES_LIKE = `%"${ADMIN_ROLE}"%`;

const isEnabledAdmin = (user: User) => !user.disabled && user.roles.includes(ADMIN_ROLE);

export type AdminChange = { roles: string[] } | { disabled: boolean };

export type AdminChangeResult<T = undefined> =
  | { outcome: 'changed'; before: User; after: User; also: T }
  | { outcome: 'not_found' }
  /** The change would leave no enabled admin; nothing was written. */
  | { outcome: 'last_admin' };

/** Unique-constraint violations, as SQLite and PostgreSQL report them. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

export function createUserRepository(db: Db) {
  // Every login reads the user again once its session exists.
  const findById = prepared(db, ['id'], (q, v: { id: string }) => q.selectFrom('users').select(USER_COLUMNS).where('id', '=', v.id));
  return {
    async create(input: {
      id: string;
      email: string;
      name: string | null;
      passwordHash: string;
      roles: string[];
      emailVerified?: boolean;
      now: number;
    }): Promise<User> {
      const row = {
        id: input.id,
        email: input.email,
        name: input.name,
        passwordHash: input.passwordHash,
        roles: JSON.stringify(input.roles),
        disabled: 0,
        emailVerified: input.emailVerified ? 1 : 0,
        mfaEnabled: 0,
        createdAt: input.now,
        updatedAt: input.now,
      };
      try {
        await db.insertInto('users').values(row).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new EmailTakenError('email taken', { cause: error });
        throw error;
      }
      return toUser(row);
    },

    async findById(id: string): Promise<User | undefined> {
      const [row] = (await findById(db, { id })).rows;
      return row && toUser(row);
    },

    /** The user and the stored hash, for password checks only. */
    async findCredentialsByEmail(email: string): Promise<{ user: User; passwordHash: string } | undefined> {
      const row = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
      return row && { user: toUser(row), passwordHash: row.passwordHash };
    },

    async findCredentialsById(id: string): Promise<{ user: User; passwordHash: string } | undefined> {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && { user: toUser(row), passwordHash: row.passwordHash };
    },

    async findByEmail(email: string): Promise<User | undefined> {
      const row = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
      return row && toUser(row);
    },

    /** Marks the address verified, if it is still the user's address (a link to an old address verifies nothing). */
    async markEmailVerified(id: string, email: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('users')
        .set({ emailVerified: 1, updatedAt: now })
        .where('id', '=', id)
        .where('email', '=', email)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Moves the account to a new (verified) address; EmailTakenError if another account has it. */
    /**
     * Moves an account to a new (verified) address; only while it is enabled and still has the
     * password hash `expectedHash`, in the same statement, so a password change or a disable that
     * commits meanwhile wins. Undefined when it did not move.
     */
    async changeEmail(id: string, email: string, now: number, expectedHash: string): Promise<User | undefined> {
      let moved: bigint;
      try {
        const result = await db
          .updateTable('users')
          .set({ email, emailVerified: 1, updatedAt: now })
          .where('id', '=', id)
          .where('disabled', '=', 0)
          .where('passwordHash', '=', expectedHash)
          .executeTakeFirst();
        moved = result.numUpdatedRows;
      } catch (error) {
        if (isUniqueViolation(error)) throw new EmailTakenError('email taken', { cause: error });
        throw error;
      }
      if (moved === 0n) return undefined;
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },

    /**
     * Sets a new hash and, in the same transaction, does `also` (ends the other sessions): both
     * commit or neither does, so a connection lost in between cannot leave the new password with
     * the old sessions alive, and a retry finds the whole change still to do.
     */
    async replacePasswordHash<T>(
      id: string,
      passwordHash: string,
      now: number,
      also: (trx: Transaction<DatabaseSchema>) => Promise<T>,
    ): Promise<T> {
      return db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ passwordHash, updatedAt: now }).where('id', '=', id).execute();
        return also(trx);
      });
    },

    /** Replaces the hash only if it is still the one we checked (a concurrent change wins otherwise). */
    async updatePasswordHash(id: string, passwordHash: string, now: number, expectedHash?: string): Promise<boolean> {
      let query = db.updateTable('users').set({ passwordHash, updatedAt: now }).where('id', '=', id);
      if (expectedHash !== undefined) query = query.where('passwordHash', '=', expectedHash);
      const result = await query.executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /**
     * Changes a user's roles or disabled flag, unless that would leave no enabled admin. The
     * check and the write are one transaction; on PostgreSQL it first locks every admin row,
     * so two admins demoting each other at once cannot both succeed (the second sees the
     * first's result). SQLite runs one write transaction at a time.
     */
    async changeUnlessLastAdmin<T = undefined>(
      id: string,
      change: AdminChange,
      now: number,
      /** More work that must commit or fail with the change (ending the user's sessions). */
      also?: (trx: Transaction<DatabaseSchema>, before: User, after: User) => Promise<T>,
    ): Promise<AdminChangeResult<T>> {
      return db.transaction().execute(async (trx) => {
        const lock = isPostgres(trx);
        // SQLite: take the write lock first, so a concurrent writer (another worker, the CLI)
        // waits for it (busy_timeout) instead of failing when this read-then-write upgrades.
        if (!lock)
          await trx
            .updateTable('users')
            .set({ updatedAt: sql`updated_at` })
            .where('id', '=', id)
            .execute();
        let admins = trx.selectFrom('users').select(['id', 'disabled']).where('roles', 'like', ADMIN_ROLES_LIKE).orderBy('id');
        if (lock) admins = admins.forUpdate();
        const adminRows = await admins.execute();
        let target = trx.selectFrom('users').selectAll().where('id', '=', id);
        if (lock) target = target.forUpdate();
        const row = await target.executeTakeFirst();
        if (!row) return { outcome: 'not_found' } as const;
        const before = toUser(row);
        const after: User = 'roles' in change ? { ...before, roles: change.roles } : { ...before, disabled: change.disabled };
        if (isEnabledAdmin(before) && !isEnabledAdmin(after)) {
          const others = adminRows.filter((admin) => admin.id !== id && !admin.disabled);
          if (others.length === 0) return { outcome: 'last_admin' } as const;
        }
        await trx
          .updateTable('users')
          .set({ roles: JSON.stringify(after.roles), disabled: after.disabled ? 1 : 0, updatedAt: now })
          .where('id', '=', id)
          .execute();
        const extra = also ? await also(trx, before, after) : (undefined as T);
        return { outcome: 'changed', before, after, also: extra } as const;
      });
    },

    /** Keyset pagination by id (UUIDv7, so also by creation time). */
    async list(limit: number, after?: string): Promise<User[]> {
      let query = db.selectFrom('users').selectAll().orderBy('id').limit(limit);
      if (after) query = query.where('id', '>', after);
      return (await query.execute()).map(toUser);
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
