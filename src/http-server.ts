import { createServer, type RequestListener, type Server } from 'node:http';
import type { Config } from './config/config.ts';

/** Idle keep-alive connections close after this; a proxy in front should time out idle upstreams sooner. */
const KEEP_ALIVE_TIMEOUT_MS = 5000;

/**
 * The HTTP server around the app, with slow-client limits: headers within HTTP_HEADERS_TIMEOUT
 * and the whole request within HTTP_REQUEST_TIMEOUT, else Node answers 408 and closes. Node
 * checks these only every `connectionsCheckingInterval` (30 s by default), so it is 1 s here:
 * a client dribbling a byte every few seconds is cut off on time, not up to 30 s late.
 */
export function createHttpServer(app: RequestListener, timeouts: Config['httpTimeouts']): Server {
  const server = createServer(
    { headersTimeout: timeouts.headersMs, requestTimeout: timeouts.requestMs, connectionsCheckingInterval: 1000 },
    app,
  );
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  return server;
}
