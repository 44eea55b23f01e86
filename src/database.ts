import type { Kysely } from 'kysely';
import type { UserTable } from './users/user.table.ts';
import type { SessionTable } from './sessions/session.table.ts';
import type { RefreshTokenTable } from './sessions/refresh-token.table.ts';
import type { RevocationTable } from './revocation/revocation.table.ts';
import type { SigningKeyTable } from './tokens/signing-key.table.ts';
import type { AuditEventTable } from './audit/audit-event.table.ts';
import type { ServiceClientTable } from './clients/service-client.table.ts';
import type { EmailLinkTable } from './email/email-link.table.ts';
import type { MfaChallengeTable, MfaRecoveryCodeTable, MfaTotpTable } from './mfa/mfa.table.ts';

export interface DatabaseSchema {
  users: UserTable;
  sessions: SessionTable;
  refreshTokens: RefreshTokenTable;
  revocations: RevocationTable;
  signingKeys: SigningKeyTable;
  auditEvents: AuditEventTable;
  serviceClients: ServiceClientTable;
  emailLinks: EmailLinkTable;
  mfaTotp: MfaTotpTable;
  mfaRecoveryCodes: MfaRecoveryCodeTable;
  mfaChallenges: MfaChallengeTable;
}

export type Db = Kysely<DatabaseSchema>;
export type Dialect = 'sqlite' | 'postgres';
