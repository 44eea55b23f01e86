export interface AuditEventTable {
  id: string;
  type: string;
  /** The account the event is about (null for a login attempt on an unknown email). */
  userId: string | null;
  /** Who did it, when not the user themself (an admin). */
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** The id of the request that wrote it, as that request's log line carries it (null from the CLI and before 0010). */
  requestId: string | null;
  /** Small JSON object with event-specific facts; never a password or token. */
  details: string | null;
  createdAt: number;
}
