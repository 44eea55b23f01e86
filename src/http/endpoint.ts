import express, { type IRoute, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import { DomainError, invalidClient, methodNotAllowed, type ErrorCode } from '../lib/errors.ts';
import type { AccessClaims } from '../lib/access-claims.ts';
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
export type Responses = { [status: number]: SuccessResponse } & {
  errors?: ErrorCode[];
  /**
   * Why no request to this endpoint is a client error (it reads no input and asks for no
   * credentials), for an endpoint with no 4xx: documented as `x-no-4xx`, which the OpenAPI lint
   * accepts in place of a 4xx response (redocly.yaml).
   */
  no4xx?: string;
};

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
 * paths: case-insensitive, one trailing slash ignored. Paths with parameters are grouped by it too.
 */
const pathKey = (path: string): string => {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
};

/** The shape of a path with its parameters' names left out: `/users/:id` and `/users/:userId` match the same requests. */
const shapeOf = (path: string): string => pathKey(path).replace(/:\w+/g, ':');

/**
 * A fixed path that a route with parameters would also match (`/users/me` and `/users/:id`)
 * would be served by the fixed route whatever the declaration order; Express would pick the
 * first declared. Such a pair is refused at start rather than left to order, and so are two
 * spellings of one path with parameters, whose 405 would hide the other's methods.
 */
function refuseOverlaps(endpoints: Endpoint[]): void {
  const patterns = endpoints
    .filter((e) => e.path.includes(':'))
    .map((e) => ({ path: e.path, pattern: new RegExp(`^${e.path.replace(/:\w+/g, '[^/]+')}/?$`, 'i') }));
  for (const e of endpoints) {
    const shadow = e.path.includes(':')
      ? patterns.find(({ path }) => pathKey(path) !== pathKey(e.path) && shapeOf(path) === shapeOf(e.path))
      : patterns.find(({ pattern }) => pattern.test(e.path));
    if (shadow) throw new Error(`mountEndpoints: ${e.path} is also matched by ${shadow.path}; rename one`);
  }
}

/** The Allow header of a path: its declared methods, and HEAD where GET is (Express answers HEAD with the GET route). */
const allowOf = (methods: Endpoint['method'][]): string[] =>
  methods.flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()])).sort();

/**
 * The last handler of a path's route: every method it does not declare (OPTIONS included: a
 * CORS preflight from an allowed origin is answered earlier, in cors.ts) is a 405 naming the
 * methods it does. It runs before any body parser, so a malformed body sent with a wrong
 * method is still a 405.
 */
const methodNotAllowedFor =
  (allowed: string[]): RequestHandler =>
  (req, res, next) => {
    res.setHeader('Allow', allowed.join(', '));
    next(methodNotAllowed(req.method, allowed));
  };

/**
 * Registers endpoints on a router, one Express route a path: per declared method the body parser
 * its body type needs (parsed before the guards run, as a refresh token or CSRF token may be in
 * the body), then the guards of its access level, then the handler; after them a 405 for every
 * other method. A GET takes no body (RFC 9110 §9.3.1 gives it no meaning), so GET routes skip
 * the parser and whatever body one carries is ignored rather than read.
 *
 * An endpoint with a fixed path is found by one lookup in a table of per-path routers, instead
 * of by the router trying each of ~50 routes in turn (a sixth of the CPU of a request to the open
 * route: bench:profile). Only public API is used: each table entry is an `express.Router()` with
 * the path's route, called as the middleware it is. Paths with parameters are routes of `router`.
 */
export function mountEndpoints(router: Router, endpoints: Endpoint[], guards: Record<Access, RequestHandler[]>): void {
  const parsers: Record<BodyType, RequestHandler[]> = { json: jsonBody(), form: formBody() };
  const handlers = (e: Endpoint): RequestHandler[] => [
    ...(e.method === 'get' ? [] : parsers[e.bodyType]),
    ...guards[e.access],
    ...e.use,
    (req: Request, res: Response) => e.handle(req, res),
  ];
  refuseOverlaps(endpoints);
  const byPath = new Map<string, { path: string; endpoints: Endpoint[] }>();
  for (const e of endpoints) {
    const entry = byPath.get(pathKey(e.path)) ?? { path: e.path, endpoints: [] };
    byPath.set(pathKey(e.path), { path: entry.path, endpoints: [...entry.endpoints, e] });
  }

  const fixed = new Map<string, Router>();
  // First: no route with parameters matches a fixed path (refuseOverlaps), so order does not
  // matter between the two. A path not in the table goes on to the routes with parameters.
  router.use((req, res, next) => {
    const table = fixed.get(pathKey(req.path));
    if (table) table(req, res, next);
    else next();
  });
  for (const [key, { path, endpoints: group }] of byPath) {
    let route: IRoute;
    if (path.includes(':')) route = router.route(path);
    else {
      const table = express.Router();
      fixed.set(key, table);
      route = table.route(path);
    }
    for (const e of group) route[e.method](...handlers(e));
    route.all(methodNotAllowedFor(allowOf(group.map((e) => e.method))));
  }
}
