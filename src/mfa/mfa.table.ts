/** A user's authenticator: pending until confirmed with a first code, then active. One per user. */
export interface MfaTotpTable {
  userId: string;
  /** The base32 secret sealed with AES-256-GCM (mfa-keys.ts), the user id as associated data. */
  secret: string;
  createdAt: number;
  confirmedAt: number | null;
  /** The last RFC 6238 time step whose code was accepted: a code is taken only for a later step. */
  lastStep: number;
}

/** One recovery code: only its HMAC is kept; `usedAt` makes it single use. */
export interface MfaRecoveryCodeTable {
  userId: string;
  codeHash: string;
  createdAt: number;
  usedAt: number | null;
}

/** The second step of a login: the SHA-256 of the mfaToken, for whom, until when, and once. */
export interface MfaChallengeTable {
  tokenHash: string;
  userId: string;
  /** JSON array: the methods the first step proved (`["pwd"]`). */
  amr: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}
