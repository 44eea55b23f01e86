import type { Selectable } from 'kysely';
import type { UserTable } from './user.table.ts';
import type { User } from './user.ts';

/** The columns a User is made of (the password hash is read only where it is checked). */
export type UserRow = Pick<
  Selectable<UserTable>,
  'id' | 'email' | 'name' | 'roles' | 'disabled' | 'emailVerified' | 'mfaEnabled' | 'createdAt'
>;

/** The UserRow columns, named: a query that lists them keeps its result shape when a column is added. */
export const USER_COLUMNS = ['id', 'email', 'name', 'roles', 'disabled', 'emailVerified', 'mfaEnabled', 'createdAt'] as const;

/** A users row as the rest of the app sees it: roles parsed, 0/1 flags as booleans. */
export const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  name: row.name,
  roles: JSON.parse(row.roles) as string[],
  disabled: Boolean(row.disabled),
  emailVerified: Boolean(row.emailVerified),
  mfaEnabled: Boolean(row.mfaEnabled),
  createdAt: row.createdAt,
});
