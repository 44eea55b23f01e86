import { z } from 'zod';
import { DateTime, EXAMPLE } from '../http/common-schemas.ts';

const SessionSchema = z
  .object({
    id: z.string().meta({ example: EXAMPLE.sessionId }),
    createdAt: DateTime,
    lastUsedAt: DateTime,
    expiresAt: DateTime.meta({ example: '2026-01-22T09:30:00.000Z' }),
    userAgent: z.string().nullable().meta({ example: EXAMPLE.userAgent }),
    ip: z.string().nullable().meta({ example: EXAMPLE.ip }),
    current: z.boolean(),
  })
  .meta({ id: 'Session' });

export const SessionsResponse = z.object({ sessions: z.array(SessionSchema) }).meta({ id: 'SessionsResponse' });
