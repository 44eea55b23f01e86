import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { VerifiedClaims } from '../tokens/claims.ts';
import { MissingTokenError } from './errors.ts';

declare global {
  // Express's own hook for what middleware adds to a request (as passport's `user`): it reaches a
  // consumer through this file's declaration, which the package entry loads (it exports authed).
  // The server's routes declare the same (tokens/require-auth.ts); the two must stay identical.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The verified access-token claims, set by requireAuth; undefined on a route it does not
       * guard. In a handler wrapped in `authed(...)` it is always there.
       */
      auth?: VerifiedClaims;
    }
  }
}

type Params = Request['params'];
type Query = Request['query'];
type Locals = Record<string, unknown>;

/** A request that requireAuth let through: `auth` is there. */
export type AuthedRequest<P = Params, ResBody = unknown, ReqBody = unknown, ReqQuery = Query, L extends Locals = Locals> = Request<
  P,
  ResBody,
  ReqBody,
  ReqQuery,
  L
> & { auth: VerifiedClaims };

/**
 * A handler behind requireAuth, typed with its claims: `app.get('/orders', auth, authed((req, res)
 * => res.json({ user: req.auth.sub })))`, no `!` needed. Used on a route requireAuth does not
 * guard, it answers 401 missing_token instead of running the handler.
 */
export function authed<P = Params, ResBody = unknown, ReqBody = unknown, ReqQuery = Query, L extends Locals = Locals>(
  handler: (req: AuthedRequest<P, ResBody, ReqBody, ReqQuery, L>, res: Response<ResBody, L>, next: NextFunction) => unknown,
): RequestHandler<P, ResBody, ReqBody, ReqQuery, L> {
  return (req, res, next) => {
    if (!req.auth) return next(new MissingTokenError());
    // Express 5 awaits a returned promise: a rejected one reaches the error handler.
    return handler(req as AuthedRequest<P, ResBody, ReqBody, ReqQuery, L>, res, next);
  };
}
