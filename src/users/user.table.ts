import type { Generated } from 'kysely';

export interface UserTable {
  id: string;
  email: string;
  name: string | null;
  passwordHash: string;
  /** JSON array of role names: portable across SQLite and PostgreSQL. */
  roles: string;
  /** 0 or 1: SQLite has no boolean type. */
  disabled: Generated<number>;
  /** 0 or 1: the owner has followed a verification (or reset) link sent to `email`. */
  emailVerified: Generated<number>;
  /** 0 or 1: a confirmed authenticator (mfa/); written with it, in one transaction. */
  mfaEnabled: Generated<number>;
  createdAt: number;
  updatedAt: number;
}
