/** One row per refresh token issued; only its SHA-256 is stored, never the token. */
export interface RefreshTokenTable {
  tokenHash: string;
  sessionId: string;
  createdAt: number;
  expiresAt: number;
  /** Set, in one atomic statement, when the token is rotated. */
  usedAt: number | null;
  /** Hash of the token that replaced it, to recognise "the immediately previous token". */
  replacedBy: string | null;
  /** Set when this (rotated) token was exchanged once more inside JWT_REFRESH_REUSE_INTERVAL: never twice. */
  graceUsedAt: number | null;
}
