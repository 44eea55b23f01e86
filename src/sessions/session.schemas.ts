import { z } from 'zod';

const SessionSchema = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string(),
    expiresAt: z.string(),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean(),
  })
  .meta({ id: 'Session' });

export const SessionsResponse = z.object({ sessions: z.array(SessionSchema) }).meta({ id: 'SessionsResponse' });
