/**
 * Ended sessions (kind 'sid') and individually revoked access tokens (kind 'jti').
 * Rows live until every access token they cover has expired, then are pruned.
 */
export interface RevocationTable {
  id: string;
  kind: 'sid' | 'jti';
  createdAt: number;
  expiresAt: number;
}
