/** Who is calling, for sessions and the audit trail. */
export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
  /** The request's id (its log line's, X-Request-Id): the audit events it writes carry it. */
  requestId?: string | null;
}

export const NO_CLIENT: ClientInfo = { userAgent: null, ip: null };
