import express, { type IRoute, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import { DomainError, invalidClient, type ErrorCode } from '../lib/errors.ts';
import type { AccessClaims } from '../tokens/claims.ts';
import { formBody } from './form-body.ts';
import { jsonBody } from './json-body.ts';
import { STATUS_OF } from './problem.ts';
import { parse } from './validate.ts';

/**
 * Who may call an endpoint:
 * - `public`: anyone;
 * - `bearer`: a valid access token (`ctx.auth` holds its claims);
 * - `admin`: a valid access token with the `admin` role;
 * - `refresh`: a refresh token in the body or the HttpOnly cookie (with X-CSRF-Token);
 * - `metrics`: the METRICS_TOKEN;
 * - `client`: a service client's id and secret (HTTP Basic); `ctx.client` names it.
 */
export type Access = 'public' | 'bearer' | 'admin' | 'refresh' | 'metrics' | 'client';

/**
 * The verified access-token claims: Tessera's own, the only ones the server's requireAuth accepts
 * (Request declares `auth` as any issuer's VerifiedClaims, for the library's consumers).
 */
export type Claims = AccessClaims;

/** The authenticated service client (set by the `client` guard; declared on Request in clients/require-client.ts). */
export type ClientIdentity = NonNullable<Request['serviceClient']>;

/** Response headers an endpoint sets, documented with it. */
export type ResponseHeader = 'Set-Cookie' | 'Cache-Control';

export type SuccessResponse = {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
  headers?: readonly ResponseHeader[];
};

/** How the body arrives: JSON everywhere, except the OAuth endpoints whose RFCs prescribe forms. */
export type BodyType = 'json' | 'form';

/** Success statuses with their body, and the error codes this endpoint itself may answer with. */
export type Responses = { [status: number]: SuccessResponse } & { errors?: ErrorCode[] };

export interface EndpointContext<A extends Access, B, P, Q> {
  body: B;
  params: P;
  query: Q;
  /** The access token's claims on `bearer` and `admin` endpoints. */
  auth: A extends 'bearer' | 'admin' ? Claims : undefined;
  /** The service client on `client` endpoints. */
  client: A extends 'client' ? ClientIdentity : undefined;
  req: Request;
  res: Response;
}

export interface EndpointDef<A extends Access, B, P, Q> {
  method: 'get' | 'post' | 'put' | 'delete';
  /** The full path, Express syntax (`/api/admin/users/:id/roles`). */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  access: A;
  /** Default 'json'. */
  bodyType?: BodyType;
  body?: z.ZodType<B>;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  responses: Responses;
  /** Middleware run after the body is parsed and the guards pass (per-address rate limits, say). */
  use?: RequestHandler[];
  /** Writes the answer through `ctx.res`; thrown DomainErrors become problem documents. */
  handler(ctx: EndpointContext<A, B, P, Q>): Promise<void> | void;
}

/** An endpoint with its types erased, for lists and the OpenAPI generator. */
export interface Endpoint {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  access: Access;
  bodyType: BodyType;
  body?: z.ZodType;
  params?: z.ZodType;
  query?: z.ZodType;
  responses: Responses;
  use: RequestHandler[];
  handle(req: Request, res: Response): Promise<void>;
}

/**
 * One declaration per endpoint: method, path, access, schemas, responses and handler. The same
 * object is registered on the router (validated, and typed: handlers read ctx.auth, never an asserted request field) and documented in
 * OpenAPI, so an endpoint cannot exist undocumented.
 */
export function endpoint<A extends Access, B = undefined, P = undefined, Q = undefined>(def: EndpointDef<A, B, P, Q>): Endpoint {
  const bearer = def.access === 'bearer' || def.access === 'admin';
  const client = def.access === 'client';
  return {
    method: def.method,
    path: def.path,
    operationId: def.operationId,
    summary: def.summary,
    ...(def.description ? { description: def.description } : {}),
    access: def.access,
    bodyType: def.bodyType ?? 'json',
    ...(def.body ? { body: def.body } : {}),
    ...(def.params ? { params: def.params } : {}),
    ...(def.query ? { query: def.query } : {}),
    responses: def.responses,
    use: def.use ?? [],
    async handle(req, res) {
      const ctx = {
        body: (def.body ? parse(def.body, req.body) : undefined) as B,
        params: (def.params ? parse(def.params, req.params) : undefined) as P,
        query: (def.query ? parse(def.query, req.query) : undefined) as Q,
        auth: (bearer ? req.auth : undefined) as EndpointContext<A, B, P, Q>['auth'],
        client: (client ? req.serviceClient : undefined) as EndpointContext<A, B, P, Q>['client'],
        req,
        res,
      };
      if (bearer && !ctx.auth) throw new DomainError('missing_token', 'This endpoint needs a Bearer access token.', { scheme: 'Bearer' });
      if (client && !ctx.client) throw invalidClient();
      try {
        await def.handler(ctx);
      } catch (error) {
        // On a Bearer route every 401 names the realm (RFC 6750), a wrong current password too.
        if (bearer && error instanceof DomainError && !error.scheme && STATUS_OF[error.code] === 401) {
          throw new DomainError(error.code, error.detail, { cause: error.cause, scheme: 'Bearer' });
        }
        throw error;
      }
    },
  };
}

/**
 * The key of a request path in the table of fixed paths, as Express's default routing compares
 * paths: case-insensitive, one trailing slash ignored.
 */
const pathKey = (path: string): string => {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
};

/**
 * A fixed path that a route with parameters would also match (`/users/me` and `/users/:id`)
 * would be served by the fixed route whatever the declaration order; Express would pick the
 * first declared. Such a pair is refused at start rather than left to order.
 */
function refuseOverlaps(endpoints: Endpoint[]): void {
  const patterns = endpoints
    .filter((e) => e.path.includes(':'))
    .map((e) => ({ path: e.path, pattern: new RegExp(`^${e.path.replace(/:\w+/g, '[^/]+')}/?$`, 'i') }));
  for (const e of endpoints) {
    const shadow = e.path.includes(':') ? undefined : patterns.find(({ pattern }) => pattern.test(e.path));
    if (shadow) throw new Error(`mountEndpoints: ${e.path} is also matched by ${shadow.path}; rename one`);
  }
}

/**
 * What mountEndpoints uses of an Express route beyond its typings (router/lib/route.js, router
 * 2.x): underscored, so routing.test.ts pins the behaviour it relies on. Fixed routes follow
 * Express's default routing (case-insensitive, a trailing slash ignored), not the app's
 * `case sensitive routing` / `strict routing` settings, which Tessera does not set.
 */
interface DispatchableRoute {
  _handlesMethod(method: string): boolean;
  dispatch(req: Request, res: Response, done: (error?: unknown) => void): void;
}

/**
 * Registers endpoints on a router: the body parser its body type needs (parsed before the guards
 * run, as a refresh token or CSRF token may be in the body), then the guards of its access level.
 * A GET takes no body (RFC 9110 §9.3.1 gives it no meaning), so GET routes skip the parser
 * and whatever body one carries is ignored rather than read.
 *
 * An endpoint with a fixed path is found by one lookup in a table of its Express routes, instead
 * of by the router trying each of ~50 routes in turn (a sixth of the CPU of a request to the open
 * route: bench:profile); the route then runs as the router would run it (HEAD as GET). A method
 * the path lacks falls through, as before. Paths with parameters are routed as before.
 */
export function mountEndpoints(router: Router, endpoints: Endpoint[], guards: Record<Access, RequestHandler[]>): void {
  const parsers: Record<BodyType, RequestHandler[]> = { json: jsonBody(), form: formBody() };
  const handlers = (e: Endpoint): RequestHandler[] => [
    ...(e.method === 'get' ? [] : parsers[e.bodyType]),
    ...guards[e.access],
    ...e.use,
    (req: Request, res: Response) => e.handle(req, res),
  ];
  const table = express.Router();
  const fixed = new Map<string, DispatchableRoute>();
  refuseOverlaps(endpoints);
  // First: no route with parameters matches a fixed path (refuseOverlaps), so order does not
  // matter between the two. OPTIONS goes on as before (to 404: CORS preflights are answered
  // earlier, in cors.ts).
  const dispatch: RequestHandler = (req, res, next) => {
    const route = req.method === 'OPTIONS' ? undefined : fixed.get(pathKey(req.path));
    if (route?._handlesMethod(req.method)) route.dispatch(req, res, next);
    else next();
  };
  // `routers`: where the fixed routes are, for whoever reads the app's routes (route-coverage.test.ts).
  router.use(Object.assign(dispatch, { routers: [table] }));
  for (const e of endpoints) {
    if (e.path.includes(':')) {
      router[e.method](e.path, ...handlers(e));
      continue;
    }
    const key = pathKey(e.path);
    const route = fixed.get(key) ?? (table.route(e.path) as unknown as DispatchableRoute);
    fixed.set(key, route);
    (route as unknown as IRoute)[e.method](...handlers(e));
  }
}
