import type { Selectable } from 'kysely';
import type { SessionTable } from './session.table.ts';

export type Session = Omit<Selectable<SessionTable>, 'revokeReason' | 'amr'> & {
  /** The methods the login proved: `["pwd"]`, or `["pwd", "otp"]` after a second factor. */
  amr: string[];
};

export type EndReason =
  | 'logout'
  | 'logout_all'
  | 'deleted'
  | 'password_change'
  | 'disabled'
  | 'reuse'
  | 'expired'
  | 'roles_changed'
  | 'password_reset'
  | 'mfa_changed'
  | 'mfa_reset';

export const isLive = (session: Session, now: number): boolean =>
  session.revokedAt === null && session.expiresAt > now && (session.absoluteExpiresAt === null || session.absoluteExpiresAt > now);
