import { createServer, IncomingMessage, ServerResponse, type Server, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';
import type { Config } from './config/config.ts';

/** Idle keep-alive connections close after this; a proxy in front should time out idle upstreams sooner. */
const KEEP_ALIVE_TIMEOUT_MS = 5000;

/**
 * The HTTP server around the app, with slow-client limits: headers within HTTP_HEADERS_TIMEOUT
 * and the whole request within HTTP_REQUEST_TIMEOUT, else Node answers 408 and closes. Node
 * checks these only every `connectionsCheckingInterval` (30 s by default), so it is 1 s here:
 * a client dribbling a byte every few seconds is cut off on time, not up to 30 s late.
 */
export function createHttpServer(app: Express, timeouts: Config['httpTimeouts']): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: 1000,
      ...withAppPrototypes(app),
    },
    app,
  );
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  return server;
}

/** Node 20's IncomingMessage and ServerResponse, called as the plain functions they are. */
type Initialize<A extends unknown[]> = (this: object, ...args: A) => void;

/**
 * Express 5 gives every request and response its app's prototypes (`app.request`,
 * `app.response`) with Object.setPrototypeOf. On Node 20 that call is costly: a plain
 * node:http server making it on each request and response served 28k req/s against 93k–96k
 * without it, and its young-generation garbage survived scavenges (3 ms each instead of 0.2).
 * Node builds each request and response with the constructors given here, so they start with
 * those prototypes, and Express's call changes nothing. Node's own constructors run on the new
 * object, as a subclass would call them; were they ever classes, which cannot be called, the
 * server keeps Node's and Express does the work as before.
 */
function withAppPrototypes(app: Express): Pick<ServerOptions, 'IncomingMessage' | 'ServerResponse'> {
  if (!callable(IncomingMessage) || !callable(ServerResponse)) return {};
  const initRequest = IncomingMessage as unknown as Initialize<[Socket]>;
  const initResponse = ServerResponse as unknown as Initialize<[IncomingMessage, object?]>;
  function AppRequest(this: object, socket: Socket) {
    initRequest.call(this, socket);
  }
  function AppResponse(this: object, req: IncomingMessage, options?: object) {
    initResponse.call(this, req, options);
  }
  AppRequest.prototype = app.request;
  AppResponse.prototype = app.response;
  // Node constructs them with `new`; their type is the classes they stand in for.
  return {
    IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
    ServerResponse: AppResponse as unknown as typeof ServerResponse,
  };
}

/** A constructor written as a function (callable without `new`), not as a class. */
const callable = (constructor: unknown): boolean =>
  typeof constructor === 'function' && !Function.prototype.toString.call(constructor).startsWith('class');
