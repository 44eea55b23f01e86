import type { Request } from 'express';
import type { ClientInfo } from '../auth/auth.service.ts';

/** Who is calling, for sessions and the audit trail. req.ip honours X-Forwarded-For only with TRUST_PROXY. */
export const clientInfo = (req: Request): ClientInfo => ({
  userAgent: req.get('user-agent')?.slice(0, 512) ?? null,
  ip: req.ip ?? null,
});
