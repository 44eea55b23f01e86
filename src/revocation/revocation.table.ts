import type { Generated } from 'kysely';

/**
 * Ended sessions (kind 'sid'), individually revoked access tokens (kind 'jti') and signing keys
 * removed at once (kind 'kid': `tessera keys revoke`). Rows live until every access token they
 * cover has expired, then are pruned.
 */
export interface RevocationTable {
  /** A database sequence in commit order: the cursor instances poll by (never a wall-clock time). */
  seq: Generated<number>;
  id: string;
  kind: 'sid' | 'jti' | 'kid';
  createdAt: number;
  expiresAt: number;
}
