export interface SessionTable {
  id: string;
  userId: string;
  createdAt: number;
  lastUsedAt: number;
  /** When the newest refresh token expires; slides forward on every rotation. */
  expiresAt: number;
  /** SESSION_MAX_LIFETIME cap on the whole rotation chain, if configured. */
  absoluteExpiresAt: number | null;
  revokedAt: number | null;
  revokeReason: string | null;
  userAgent: string | null;
  ip: string | null;
  /** JSON array of the methods the login proved (RFC 8176 `amr`), copied into each access token of the session. */
  amr: string;
  /** When the session last proved a credential (epoch ms): `auth_time` in its access tokens. Null: sessions from before migration 0009. */
  authTime: number | null;
}
