export type LinkPurpose = 'verify' | 'reset' | 'change';

/** A link sent by mail. Only the SHA-256 of its token is stored; `usedAt` makes it single use. */
export interface EmailLinkTable {
  tokenHash: string;
  userId: string;
  purpose: LinkPurpose;
  /** The address the link was sent to (for 'change': the new address). */
  email: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  /** For 'change': SHA-256 of the password hash when the change was asked for (it confirms only while that still holds). */
  passwordStamp: string | null;
}
