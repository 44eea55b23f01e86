import { z } from 'zod';
import { clientInfo } from '../http/client-info.ts';
import { EXAMPLE } from '../http/common-schemas.ts';
import { endpoint, type Endpoint } from '../http/endpoint.ts';
import { SessionsResponse } from './session.schemas.ts';
import type { SessionsService } from './sessions.service.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const SessionParams = z.object({ id: z.string().min(1).max(64).meta({ example: EXAMPLE.sessionId }) });

/** A user's own sessions: list them, end one. */
export function sessionsEndpoints(deps: { sessions: SessionsService }): Endpoint[] {
  const { sessions } = deps;
  return [
    endpoint({
      method: 'get',
      path: '/api/auth/sessions',
      operationId: 'listSessions',
      summary: "The user's live sessions; `current` marks the one of this access token",
      access: 'bearer',
      responses: { 200: { schema: SessionsResponse, description: 'Sessions, newest first' } },
      async handler({ auth, res }) {
        const live = await sessions.listLive(auth.sub);
        res.json({
          sessions: live.map((s) => ({
            id: s.id,
            createdAt: iso(s.createdAt),
            lastUsedAt: iso(s.lastUsedAt),
            expiresAt: iso(s.absoluteExpiresAt === null ? s.expiresAt : Math.min(s.expiresAt, s.absoluteExpiresAt)),
            userAgent: s.userAgent,
            ip: s.ip,
            current: s.id === auth.sid,
          })),
        });
      },
    }),

    endpoint({
      method: 'delete',
      path: '/api/auth/sessions/:id',
      operationId: 'deleteSession',
      summary: 'End one of your sessions (its access tokens stop working at once)',
      access: 'bearer',
      params: SessionParams,
      responses: { 204: { description: 'Ended' }, errors: ['not_found'] },
      async handler({ auth, params, req, res }) {
        await sessions.deleteSession(auth.sub, params.id, clientInfo(req));
        res.status(204).end();
      },
    }),
  ];
}
