export interface Session {
  id: string;
  userId: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  absoluteExpiresAt: number | null;
  revokedAt: number | null;
  userAgent: string | null;
  ip: string | null;
}

export type EndReason = 'logout' | 'logout_all' | 'deleted' | 'password_change' | 'disabled' | 'reuse' | 'expired';

export const isLive = (session: Session, now: number): boolean =>
  session.revokedAt === null &&
  session.expiresAt > now &&
  (session.absoluteExpiresAt === null || session.absoluteExpiresAt > now);
