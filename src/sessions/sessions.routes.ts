import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { AuthService } from '../auth/auth.service.ts';
import { SessionsResponse } from '../auth/auth.schemas.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound } from '../http/errors.ts';
import type { ApiDocs } from '../http/openapi.ts';
import { parse } from '../http/validate.ts';
import { clientInfo } from '../http/client-info.ts';
import type { SessionRepository } from './session.repository.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const SessionParams = z.object({ id: z.string().min(1).max(64) });

export function createSessionsRouter(deps: {
  auth: AuthService;
  sessions: SessionRepository;
  clock: Clock;
  requireAuth: RequestHandler;
  docs: ApiDocs;
}): Router {
  const { auth, sessions, clock, requireAuth, docs } = deps;
  const router = Router();

  docs.describe({
    method: 'get',
    path: '/api/auth/sessions',
    summary: "The user's live sessions; `current` marks the one of this access token",
    bearer: true,
    responses: { 200: { schema: SessionsResponse, description: 'Sessions, newest first' }, 401: ['missing_token', 'invalid_token'] },
  });
  router.get('/sessions', requireAuth, async (req, res) => {
    const live = await sessions.listLive(req.auth!.sub, clock.now());
    res.json({
      sessions: live.map((s) => ({
        id: s.id,
        createdAt: iso(s.createdAt),
        lastUsedAt: iso(s.lastUsedAt),
        expiresAt: iso(s.absoluteExpiresAt === null ? s.expiresAt : Math.min(s.expiresAt, s.absoluteExpiresAt)),
        userAgent: s.userAgent,
        ip: s.ip,
        current: s.id === req.auth!.sid,
      })),
    });
  });

  docs.describe({
    method: 'delete',
    path: '/api/auth/sessions/:id',
    summary: 'End one of your sessions (its access tokens stop working at once)',
    bearer: true,
    params: SessionParams,
    responses: { 204: { description: 'Ended' }, 404: ['not_found'], 401: ['missing_token', 'invalid_token'] },
  });
  router.delete('/sessions/:id', requireAuth, async (req, res) => {
    const { id } = parse(SessionParams, req.params);
    const session = await sessions.find(id);
    if (!session || session.userId !== req.auth!.sub) throw notFound('No such session.');
    await auth.deleteSession(req.auth!.sub, id, clientInfo(req));
    res.status(204).end();
  });

  return router;
}
