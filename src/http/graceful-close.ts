import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface GracefulClose {
  /**
   * Stops accepting connections and closes each open one as soon as nothing is in flight on it;
   * resolves once the last one has closed. Calling it again returns the same promise.
   */
  close(): Promise<void>;
  /** Requests read and not yet answered. */
  inFlight(): number;
  /** Requests read after close() began: how much load the drain met. */
  readAfterClose(): number;
}

/**
 * Closing that finishes (issue 26, fault 3). server.close() stops accepting and drops idle
 * connections, but a kept-alive connection whose client sends its next request right after
 * each answer is never idle: it was served until the drain deadline, which then cut requests
 * mid-flight, and a cut refresh that had committed came back as reuse when the client retried.
 *
 * From close() on:
 * - a connection with nothing in flight is closed at once: a request arriving on it was never
 *   read, never ran, and the client sees a reset it may retry;
 * - a response not started yet, and every request read from now on, answers with
 *   `Connection: close`: Node closes the connection once it is sent, and the client sends
 *   nothing more on it;
 * - a response already under way (its headers out as keep-alive) finishes, then its connection
 *   is closed.
 * Install it before the server listens, so that every connection and request is counted.
 */
export function gracefulClose(server: Server): GracefulClose {
  /** Responses not finished yet, for each open connection. */
  const pending = new Map<Socket, Set<ServerResponse>>();
  let closing = false;
  let closed: Promise<void> | undefined;
  let readAfterClose = 0;

  const closeIfIdle = (socket: Socket) => {
    if (!pending.get(socket)?.size) socket.destroy();
  };
  const lastResponse = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };

  server.on('connection', (socket: Socket) => {
    pending.set(socket, new Set());
    socket.once('close', () => pending.delete(socket));
  });
  // Before the app's own listener, so that the header is set before any handler can answer.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const responses = pending.get(socket);
    responses?.add(res);
    if (closing) {
      readAfterClose += 1;
      lastResponse(res);
    }
    // After 'finish' (its bytes handed to the connection), or when the connection dropped first.
    res.once('close', () => {
      responses?.delete(res);
      if (!closing) return;
      // Answered with Connection: close, Node ends the connection itself, after the last byte.
      if (String(res.getHeader('connection')).toLowerCase() === 'close') return;
      closeIfIdle(socket);
    });
  });

  return {
    close() {
      if (closed) return closed;
      closing = true;
      // Calls back once every connection is gone (at once, with an error, if it never listened).
      // Node's own close also drops the connections it deems idle, which includes one whose
      // response has ended but is still being written to a slow reader: that answer is cut.
      // Tessera's answers are a few KiB, which the kernel takes in the write that ends them.
      closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [socket, responses] of pending) {
        for (const res of responses) lastResponse(res);
        closeIfIdle(socket);
      }
      return closed;
    },
    inFlight: () => [...pending.values()].reduce((sum, responses) => sum + responses.size, 0),
    readAfterClose: () => readAfterClose,
  };
}
