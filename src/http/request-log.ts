import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { ErrorCode } from '../lib/errors.ts';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What the rest of the app hands a request's log line, in res.locals (request-scoped, and never
 * part of a response): the request id, for the audit events the request writes, and the problem
 * it was answered with.
 */
const REQUEST_ID = 'requestId';
const PROBLEM = 'problem';
interface NotedProblem {
  code: ErrorCode;
  reason: string | undefined;
}

/** The id of this request, as its log line and X-Request-Id carry it; null outside a logged request. */
export const requestIdOf = (req: Request): string | null => {
  const id: unknown = req.res?.locals[REQUEST_ID];
  return typeof id === 'string' ? id : null;
};

/**
 * Records the problem a request is answered with (http/problem.ts): its code, and a reason the
 * client is not told (an unknown email vs a wrong password), for the operator's log line.
 */
export const noteProblem = (res: Response, code: ErrorCode, reason: string | undefined): void => {
  const noted: NotedProblem = { code, reason };
  res.locals[PROBLEM] = noted;
};

/** An id a client or proxy may pass in: short and plain, so it cannot forge log lines. */
const CLIENT_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The path without its query string: a query may one day carry a link token, never worth logging. */
const pathOf = (url: string): string => {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
};

/** The matched route (`/api/admin/users/:id/roles`), so lines group by endpoint; the path when none matched. */
const routeOf = (req: Request, path: string): string => {
  // Express types `route` as any; its path is a string for every route Tessera declares.
  const route = req.route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? route.path : path;
};

/**
 * One line per request when it completes: method, route, path, status, duration, request id
 * (taken from X-Request-Id when a proxy sent a sane one, and always echoed back), the user id
 * when the request was authenticated, and for a problem answer its `code` and, where the code
 * alone does not say why, a `reason` (see noteProblem). Headers, bodies and query strings are
 * never logged, so no token, cookie or password can reach a request line.
 *
 * Written by hand rather than with pino-http: that builds a child logger and serialises the
 * request on every request, which cost a quarter of the open route's throughput (bench:profile).
 * Here a request costs two listeners and, at the end, one log call with a flat object.
 */
export function createRequestLog(logger: Logger): RequestHandler {
  // Without the logger's redaction: a request line is built from the fields above only, and
  // redaction (which walks and copies every logged object) cost 10 µs a line, most of the line's cost.
  const lines = logger.child({}, { redact: { paths: [] } });
  return (req, res, next) => {
    const started = performance.now();
    const given = req.headers[REQUEST_ID_HEADER];
    const requestId = typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    res.locals[REQUEST_ID] = requestId;
    // The original URL: routers strip their mount path from req.url as they go.
    const url = req.originalUrl;
    const done = (aborted: boolean): void => {
      res.off('finish', finished);
      res.off('close', closed);
      write(lines, req, res, requestId, pathOf(url), performance.now() - started, aborted);
    };
    const finished = () => done(false);
    // 'close' before 'finish': the client hung up before the answer was sent; logged too, with
    // the status as it stood.
    const closed = () => done(true);
    res.on('finish', finished);
    res.on('close', closed);
    next();
  };
}

function write(logger: Logger, req: Request, res: Response, requestId: string, path: string, ms: number, aborted: boolean): void {
  const status = res.statusCode;
  const level = status >= 500 ? 'error' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const userId = req.auth?.sub;
  const responseTime = Math.round(ms);
  const problem = status >= 400 ? (res.locals[PROBLEM] as NotedProblem | undefined) : undefined;
  logger[level](
    {
      requestId,
      req: { method: req.method, path },
      route: routeOf(req, path),
      res: { status },
      responseTime,
      ...(userId ? { userId } : {}),
      ...(problem ? { code: problem.code } : {}),
      ...(problem?.reason ? { reason: problem.reason } : {}),
      ...(aborted ? { aborted: true } : {}),
    },
    `${req.method} ${path} ${status} ${responseTime}ms${problem ? ` ${problem.code}` : ''}`,
  );
}
