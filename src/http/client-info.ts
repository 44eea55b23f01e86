import type { Request } from 'express';
import type { ClientInfo } from '../lib/client-info.ts';
import { requestIdOf } from './request-log.ts';

/** Who is calling, and in which request. req.ip honours X-Forwarded-For only with TRUST_PROXY. */
export const clientInfo = (req: Request): ClientInfo => ({
  userAgent: req.get('user-agent')?.slice(0, 512) ?? null,
  ip: req.ip ?? null,
  requestId: requestIdOf(req),
});
