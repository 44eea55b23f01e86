import type { Selectable } from 'kysely';
import type { Logger } from 'pino';
import type { AuditEventTable } from './audit-event.table.ts';
import type { Db } from '../database.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';

export const AUDIT_TYPES = [
  'signup',
  'login.success',
  'login.failure',
  'login.locked',
  'refresh.reuse_detected',
  'logout',
  'logout_all',
  'session.deleted',
  'password.changed',
  'user.created',
  'user.roles_changed',
  'user.disabled',
  'user.enabled',
  'key.rotated',
  'key.revoked',
  'client.created',
  'client.deleted',
  'email.verification_sent',
  'email.verified',
  'password.reset_requested',
  'password.reset',
  'email.change_requested',
  'email.changed',
  'email.change_refused',
  'mfa.setup_started',
  'mfa.enabled',
  'mfa.disabled',
  'mfa.recovery_codes_regenerated',
  'mfa.reset',
  'mfa.challenged',
  'mfa.verified',
  'mfa.failure',
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

export interface AuditInput {
  type: AuditType;
  userId?: string | null;
  actorId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  details?: Record<string, string | number | boolean | null>;
}

export type AuditEvent = Omit<Selectable<AuditEventTable>, 'details'> & { details: Record<string, unknown> | null };

/**
 * The security trail. A failed write is logged, never thrown: an audit outage must not
 * turn into failed logins.
 */
export function createAuditLog(db: Db, clock: Clock, logger: Logger) {
  return {
    async record(input: AuditInput): Promise<void> {
      const now = clock.now();
      try {
        await db
          .insertInto('auditEvents')
          .values({
            id: newId(now),
            type: input.type,
            userId: input.userId ?? null,
            actorId: input.actorId ?? null,
            ip: input.ip ?? null,
            userAgent: input.userAgent ?? null,
            requestId: input.requestId ?? null,
            details: input.details ? JSON.stringify(input.details) : null,
            createdAt: now,
          })
          .execute();
      } catch (error) {
        logger.error({ err: error, type: input.type }, 'audit event not recorded');
      }
    },

    /** Newest first, keyset-paginated by id (UUIDv7); `since`: written at or after (epoch ms). */
    async list(filter: {
      userId?: string;
      type?: string;
      requestId?: string;
      since?: number;
      limit: number;
      before?: string;
    }): Promise<AuditEvent[]> {
      let query = db.selectFrom('auditEvents').selectAll().orderBy('id', 'desc').limit(filter.limit);
      if (filter.userId) query = query.where('userId', '=', filter.userId);
      if (filter.type) query = query.where('type', '=', filter.type);
      if (filter.requestId) query = query.where('requestId', '=', filter.requestId);
      if (filter.since !== undefined) query = query.where('createdAt', '>=', filter.since);
      if (filter.before) query = query.where('id', '<', filter.before);
      const rows = await query.execute();
      return rows.map((row) => ({ ...row, details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null }));
    },

    async prune(before: number): Promise<number> {
      const result = await db.deleteFrom('auditEvents').where('createdAt', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
