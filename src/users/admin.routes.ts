import type { Request } from 'express';
import { z } from 'zod';
import { AUDIT_TYPES, type AuditLog } from '../audit/audit-log.ts';
import { DateTime, EXAMPLE, MessageResponse } from '../http/common-schemas.ts';
import { clientInfo } from '../http/client-info.ts';
import { endpoint, type Claims, type Endpoint } from '../http/endpoint.ts';
import { MAX_ROLES, ROLE_PATTERN } from '../rbac/roles.ts';
import { AdminUser } from './user.schemas.ts';
import { toPublicUser, type User } from './user.ts';
import type { Actor, UsersService } from './users.service.ts';

const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a page's nextCursor looks like: the last id, base64url-encoded. */
const CURSOR_EXAMPLE = Buffer.from(EXAMPLE.userId).toString('base64url');

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
  cursor: Cursor.optional().meta({ example: CURSOR_EXAMPLE }),
});
const UserParams = z.object({ id: z.string().min(1).max(64).meta({ example: EXAMPLE.userId }) });
const RolesBody = z
  .object({
    roles: z
      .array(z.string().regex(ROLE_PATTERN, 'A role is a lowercase name of up to 32 characters.'))
      .max(MAX_ROLES)
      .meta({ example: ['user', 'admin'] })
      .transform((roles) => [...new Set(roles)]),
  })
  .meta({ id: 'RolesRequest' });
const UserList = z
  .object({ users: z.array(AdminUser), nextCursor: z.string().nullable().meta({ example: CURSOR_EXAMPLE }) })
  .meta({ id: 'UserList' });
const AuditQuery = z.object({
  userId: z.string().regex(ID_PATTERN, 'Not a user id.').optional().meta({ example: EXAMPLE.userId }),
  type: z.enum(AUDIT_TYPES).optional(),
  requestId: z
    .string()
    .regex(/^[\w.:-]{1,128}$/, 'Not a request id.')
    .optional()
    .meta({
      description: 'Only the events written by this request (its X-Request-Id, as its log line gives it).',
      example: '4f0c5a8e-6d1b-4c2e-9a7f-3b5d8e2c1a90',
    }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: Cursor.optional().meta({ example: CURSOR_EXAMPLE }),
});
/** Which request wrote an audit event: the same id as its request log line (X-Request-Id). */
const EventRequestId = z.string().nullable().meta({
  description: "The request that wrote the event (X-Request-Id, the request log line's requestId); null from the CLI.",
  example: '4f0c5a8e-6d1b-4c2e-9a7f-3b5d8e2c1a90',
});
const AuditEvent = z
  .object({
    id: z.string().meta({ example: EXAMPLE.eventId }),
    type: z.string().meta({ example: 'login.success' }),
    userId: z.string().nullable().meta({ example: EXAMPLE.userId }),
    actorId: z.string().nullable().meta({ example: EXAMPLE.userId }),
    ip: z.string().nullable().meta({ example: EXAMPLE.ip }),
    userAgent: z.string().nullable().meta({ example: EXAMPLE.userAgent }),
    requestId: EventRequestId,
    details: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ example: { sessionId: EXAMPLE.sessionId } }),
    createdAt: DateTime,
  })
  .meta({ id: 'AuditEvent' });
const AuditPage = z
  .object({ events: z.array(AuditEvent), nextCursor: z.string().nullable().meta({ example: CURSOR_EXAMPLE }) })
  .meta({ id: 'AuditPage' });

const encodeCursor = (id: string) => Buffer.from(id).toString('base64url');
const adminView = (user: User) => ({ ...toPublicUser(user), disabled: user.disabled });
const adminActor = (auth: Claims, req: Request): Actor => ({ actorId: auth.sub, via: 'api', ...clientInfo(req) });

/** The admin API (role `admin`): users, their roles and state, and the audit trail. */
export function adminEndpoints(deps: { users: UsersService; audit: AuditLog }): Endpoint[] {
  const { users, audit } = deps;
  return [
    endpoint({
      method: 'get',
      path: '/api/admin',
      operationId: 'adminCheck',
      summary: 'Admin check',
      access: 'admin',
      responses: { 200: { schema: MessageResponse, description: 'You are an admin' } },
      handler({ res }) {
        res.json({ message: 'Welcome, admin.' });
      },
    }),

    endpoint({
      method: 'get',
      path: '/api/admin/users',
      operationId: 'listUsers',
      summary: 'List users (cursor pagination)',
      access: 'admin',
      query: ListQuery,
      responses: { 200: { schema: UserList, description: 'A page of users' } },
      async handler({ query, res }) {
        const page = await users.list(query.limit, query.cursor);
        const last = page.users.at(-1);
        res.json({ users: page.users.map(adminView), nextCursor: page.more && last ? encodeCursor(last.id) : null });
      },
    }),

    endpoint({
      method: 'put',
      path: '/api/admin/users/:id/roles',
      operationId: 'setUserRoles',
      summary: "Replace a user's roles: a removed role ends every session of the user; added roles arrive with the next token",
      access: 'admin',
      params: UserParams,
      body: RolesBody,
      responses: {
        200: { schema: z.object({ user: AdminUser }).meta({ id: 'AdminUserResponse' }), description: 'The user' },
        errors: ['not_found', 'last_admin'],
      },
      async handler({ auth, params, body, req, res }) {
        const user = await users.setRoles(params.id, body.roles, adminActor(auth, req));
        res.json({ user: adminView(user) });
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/admin/users/:id/disable',
      operationId: 'disableUser',
      summary: 'Disable a user: every session and access token ends; login answers account_disabled',
      access: 'admin',
      params: UserParams,
      responses: { 204: { description: 'Disabled' }, errors: ['not_found', 'last_admin'] },
      async handler({ auth, params, req, res }) {
        await users.disable(params.id, adminActor(auth, req));
        res.status(204).end();
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/admin/users/:id/enable',
      operationId: 'enableUser',
      summary: 'Enable a user again',
      access: 'admin',
      params: UserParams,
      responses: { 204: { description: 'Enabled' }, errors: ['not_found'] },
      async handler({ auth, params, req, res }) {
        await users.enable(params.id, adminActor(auth, req));
        res.status(204).end();
      },
    }),

    endpoint({
      method: 'get',
      path: '/api/admin/audit',
      operationId: 'listAuditEvents',
      summary: 'Security events, newest first (cursor pagination)',
      access: 'admin',
      query: AuditQuery,
      responses: { 200: { schema: AuditPage, description: 'A page of events' } },
      async handler({ query, res }) {
        const page = await audit.list({
          limit: query.limit + 1,
          ...(query.userId ? { userId: query.userId } : {}),
          ...(query.type ? { type: query.type } : {}),
          ...(query.requestId ? { requestId: query.requestId } : {}),
          ...(query.cursor ? { before: query.cursor } : {}),
        });
        const shown = page.slice(0, query.limit);
        const last = shown.at(-1);
        res.json({
          events: shown.map((e) => ({ ...e, createdAt: new Date(e.createdAt).toISOString() })),
          nextCursor: page.length > query.limit && last ? encodeCursor(last.id) : null,
        });
      },
    }),
  ];
}
