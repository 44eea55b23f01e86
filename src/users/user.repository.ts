import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { UserTable } from './user.table.ts';
import type { User } from './user.ts';

export class EmailTakenError extends Error {
  override name = 'EmailTakenError';
}

const toUser = (row: Selectable<UserTable>): User => ({
  id: row.id,
  email: row.email,
  name: row.name,
  roles: JSON.parse(row.roles) as string[],
  disabled: Boolean(row.disabled),
  createdAt: row.createdAt,
});

/** Unique-constraint violations, as SQLite and PostgreSQL report them. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

export function createUserRepository(db: Db) {
  return {
    async create(input: {
      id: string;
      email: string;
      name: string | null;
      passwordHash: string;
      roles: string[];
      now: number;
    }): Promise<User> {
      const row = {
        id: input.id,
        email: input.email,
        name: input.name,
        passwordHash: input.passwordHash,
        roles: JSON.stringify(input.roles),
        disabled: 0,
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
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
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

    /** Replaces the hash only if it is still the one we checked (a concurrent change wins otherwise). */
    async updatePasswordHash(id: string, passwordHash: string, now: number, expectedHash?: string): Promise<boolean> {
      let query = db.updateTable('users').set({ passwordHash, updatedAt: now }).where('id', '=', id);
      if (expectedHash !== undefined) query = query.where('passwordHash', '=', expectedHash);
      const result = await query.executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async setRoles(id: string, roles: string[], now: number): Promise<User | undefined> {
      await db.updateTable('users').set({ roles: JSON.stringify(roles), updatedAt: now }).where('id', '=', id).execute();
      return this.findById(id);
    },

    async setDisabled(id: string, disabled: boolean, now: number): Promise<boolean> {
      const result = await db
        .updateTable('users')
        .set({ disabled: disabled ? 1 : 0, updatedAt: now })
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
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
