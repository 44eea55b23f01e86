import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { MessageResponse, UserSchema } from '../auth/auth.schemas.ts';
import type { ApiDocs } from '../http/openapi.ts';
import { parse } from '../http/validate.ts';
import { clientInfo } from '../http/client-info.ts';
import { AUDIT_TYPES, type AuditLog } from '../audit/audit-log.ts';
import { MAX_ROLES, ROLE_PATTERN } from '../rbac/roles.ts';
import type { UserRepository } from './user.repository.ts';
import type { Actor, UsersService } from './users.service.ts';
import { toPublicUser, type User } from './user.ts';

const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The cursor is the last id of the previous page, base64url-encoded; anything else is a 400. */
const Cursor = z
  .string()
  .max(200)
  .transform((cursor, ctx) => {
    const id = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!ID_PATTERN.test(id)) {
      ctx.addIssue({ code: 'custom', message: 'Not a cursor from a previous page.' });
      return z.NEVER;
    }
    return id;
  });

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: Cursor.optional(),
});
const UserParams = z.object({ id: z.string().min(1).max(64) });
const RolesBody = z
  .object({
    roles: z
      .array(z.string().regex(ROLE_PATTERN, 'A role is a lowercase name of up to 32 characters.'))
      .max(MAX_ROLES)
      .transform((roles) => [...new Set(roles)]),
  })
  .meta({ id: 'RolesRequest' });
const AdminUser = UserSchema.extend({ disabled: z.boolean() }).meta({ id: 'AdminUser' });
const UserList = z.object({ users: z.array(AdminUser), nextCursor: z.string().nullable() }).meta({ id: 'UserList' });

const encodeCursor = (id: string) => Buffer.from(id).toString('base64url');
const adminView = (user: User) => ({ ...toPublicUser(user), disabled: user.disabled });

const ADMIN_ERRORS = { 401: ['missing_token', 'invalid_token'], 403: ['insufficient_role'] } as const;

export function createAdminRouter(deps: {
  users: UserRepository;
  usersService: UsersService;
  audit: AuditLog;
  requireAuth: RequestHandler;
  requireAdmin: RequestHandler;
  docs: ApiDocs;
}): Router {
  const { users, usersService, audit, docs } = deps;
  const actor = (req: Request): Actor => ({ actorId: req.auth?.sub ?? null, via: 'api', ...clientInfo(req) });
  const router = Router();
  router.use(deps.requireAuth, deps.requireAdmin);
  const errors = { 401: [...ADMIN_ERRORS[401]], 403: [...ADMIN_ERRORS[403]] };

  docs.describe({
    method: 'get',
    path: '/api/admin',
    summary: 'Admin check',
    bearer: true,
    responses: { 200: { schema: MessageResponse, description: 'You are an admin' }, ...errors },
  });
  router.get('/', (_req, res) => {
    res.json({ message: 'Welcome, admin.' });
  });

  docs.describe({
    method: 'get',
    path: '/api/admin/users',
    summary: 'List users (cursor pagination)',
    bearer: true,
    query: ListQuery,
    responses: { 200: { schema: UserList, description: 'A page of users' }, 400: ['validation_failed'], ...errors },
  });
  router.get('/users', async (req, res) => {
    const query = parse(ListQuery, req.query);
    const page = await users.list(query.limit + 1, query.cursor);
    const more = page.length > query.limit;
    const shown = more ? page.slice(0, query.limit) : page;
    res.json({ users: shown.map(adminView), nextCursor: more ? encodeCursor(shown.at(-1)!.id) : null });
  });

  docs.describe({
    method: 'put',
    path: '/api/admin/users/:id/roles',
    summary: "Replace a user's roles: a removed role ends every session of the user; added roles arrive with the next token",
    bearer: true,
    params: UserParams,
    body: RolesBody,
    responses: {
      200: { schema: z.object({ user: AdminUser }), description: 'The user' },
      400: ['validation_failed'],
      404: ['not_found'],
      409: ['last_admin'],
      ...errors,
    },
  });
  router.put('/users/:id/roles', async (req, res) => {
    const { id } = parse(UserParams, req.params);
    const { roles } = parse(RolesBody, req.body);
    const user = await usersService.setRoles(id, roles, actor(req));
    res.json({ user: adminView(user) });
  });

  docs.describe({
    method: 'post',
    path: '/api/admin/users/:id/disable',
    summary: 'Disable a user: every session and access token ends; login answers account_disabled',
    bearer: true,
    params: UserParams,
    responses: { 204: { description: 'Disabled' }, 404: ['not_found'], 409: ['last_admin'], ...errors },
  });
  router.post('/users/:id/disable', async (req, res) => {
    const { id } = parse(UserParams, req.params);
    await usersService.disable(id, actor(req));
    res.status(204).end();
  });

  docs.describe({
    method: 'post',
    path: '/api/admin/users/:id/enable',
    summary: 'Enable a user again',
    bearer: true,
    params: UserParams,
    responses: { 204: { description: 'Enabled' }, 404: ['not_found'], ...errors },
  });
  router.post('/users/:id/enable', async (req, res) => {
    const { id } = parse(UserParams, req.params);
    await usersService.enable(id, actor(req));
    res.status(204).end();
  });

  const AuditQuery = z.object({
    userId: z.string().regex(ID_PATTERN, 'Not a user id.').optional(),
    type: z.enum(AUDIT_TYPES).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: Cursor.optional(),
  });
  const AuditEvent = z
    .object({
      id: z.string(),
      type: z.string(),
      userId: z.string().nullable(),
      actorId: z.string().nullable(),
      ip: z.string().nullable(),
      userAgent: z.string().nullable(),
      details: z.record(z.string(), z.unknown()).nullable(),
      createdAt: z.string(),
    })
    .meta({ id: 'AuditEvent' });
  docs.describe({
    method: 'get',
    path: '/api/admin/audit',
    summary: 'Security events, newest first (cursor pagination)',
    bearer: true,
    query: AuditQuery,
    responses: {
      200: { schema: z.object({ events: z.array(AuditEvent), nextCursor: z.string().nullable() }), description: 'A page of events' },
      400: ['validation_failed'],
      ...errors,
    },
  });
  router.get('/audit', async (req, res) => {
    const query = parse(AuditQuery, req.query);
    const page = await audit.list({
      limit: query.limit + 1,
      ...(query.userId ? { userId: query.userId } : {}),
      ...(query.type ? { type: query.type } : {}),
      ...(query.cursor ? { before: query.cursor } : {}),
    });
    const more = page.length > query.limit;
    const shown = more ? page.slice(0, query.limit) : page;
    res.json({
      events: shown.map((e) => ({ ...e, createdAt: new Date(e.createdAt).toISOString() })),
      nextCursor: more ? encodeCursor(shown.at(-1)!.id) : null,
    });
  });

  return router;
}
