import type { Generated } from 'kysely';

/**
 * Ended sessions (kind 'sid') and individually revoked access tokens (kind 'jti').
 * Rows live until every access token they cover has expired, then are pruned.
 */
export interface RevocationTable {
  /** A database sequence in commit order: the cursor instances poll by (never a wall-clock time). */
  seq: Generated<number>;
  id: string;
  kind: 'sid' | 'jti';
  createdAt: number;
  expiresAt: number;
}
