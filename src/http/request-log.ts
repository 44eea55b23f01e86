import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** An id a client or proxy may pass in: short and plain, so it cannot forge log lines. */
const CLIENT_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The path without its query string: a query may one day carry a link token, never worth logging. */
const pathOf = (req: IncomingMessage): string => (req.url ?? '').split('?')[0] ?? '';

/** The matched route (`/api/admin/users/:id/roles`), so lines group by endpoint; the path when none matched. */
const routeOf = (req: IncomingMessage): string => {
  // Express types `route` as any; its path is a string for every route Tessera declares.
  const route = (req as Request).route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? route.path : pathOf(req);
};

/**
 * One line per request when it completes: method, route, path, status, duration, request id
 * (taken from X-Request-Id when a proxy sent a sane one, and always echoed back), and the user
 * id when the request was authenticated. Headers, bodies and query strings are never logged,
 * so no token, cookie or password can reach a request line.
 */
export function createRequestLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse): string {
      const given = req.headers[REQUEST_ID_HEADER];
      const id = typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customAttributeKeys: { reqId: 'requestId' },
    quietReqLogger: true,
    serializers: {
      req: (req: { id: string; method: string; url: string; raw: IncomingMessage }) => ({ method: req.method, path: pathOf(req.raw) }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    // Read when the response is written (pino-http also asks at the start, before routing and
    // authentication have run: nothing is known then).
    customProps: (req, res) => {
      if (!res.headersSent) return {};
      const userId = (req as Request).auth?.sub;
      return { route: routeOf(req), ...(userId ? { userId } : {}) };
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (req, res, responseTime) => `${req.method} ${pathOf(req)} ${res.statusCode} ${Math.round(responseTime)}ms`,
    customErrorMessage: (req, res) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
  });
}
