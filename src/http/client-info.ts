import type { Request } from 'express';
import type { ClientInfo } from '../lib/client-info.ts';

/** Who is calling. req.ip honours X-Forwarded-For only with TRUST_PROXY. */
export const clientInfo = (req: Request): ClientInfo => ({
  userAgent: req.get('user-agent')?.slice(0, 512) ?? null,
  ip: req.ip ?? null,
});
