/** Who is calling, for sessions and the audit trail. */
export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

export const NO_CLIENT: ClientInfo = { userAgent: null, ip: null };
