import type { Selectable } from 'kysely';
import type { SessionTable } from './session.table.ts';

export type Session = Omit<Selectable<SessionTable>, 'revokeReason' | 'amr' | 'authTime'> & {
  /** The methods the login proved: `["pwd"]`, or `["pwd", "otp"]` after a second factor. */
  amr: string[];
  /** When the session last proved a credential (epoch ms); refreshes keep it. */
  authTime: number;
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

/**
 * The ends that prove (or restore) the owner's control of an account: they also retire every
 * pending email link of the account (verify, change, reset), so a link an attacker asked for
 * does not outlive the owner's recovery.
 */
export const RETIRES_EMAIL_LINKS: ReadonlySet<EndReason> = new Set<EndReason>([
  'password_change',
  'password_reset',
  'logout_all',
  'disabled',
  'mfa_reset',
]);

export const isLive = (session: Session, now: number): boolean =>
  session.revokedAt === null && session.expiresAt > now && (session.absoluteExpiresAt === null || session.absoluteExpiresAt > now);
