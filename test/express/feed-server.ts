import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stand-in saw of one request to the feed. */
export interface FeedRequest {
  accept: string | undefined;
  authorization: string | undefined;
  lastEventId: string | undefined;
}

interface StoredEvent {
  seq: number;
  data: string;
}

/** HTTP Basic as RFC 6749 §2.3.1 has it, written out independently of the library's code. */
export const basic = (id: string, secret: string) => {
  const form = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${form(id)}:${form(secret)}`).toString('base64')}`;
};

/**
 * A stand-in for the auth server's GET /api/revocations, speaking the contract's wire format, for
 * the library's unit tests only (the real server has its own end-to-end tests). Knobs:
 * `status` answers every new request with that status instead (with `retryAfter` as Retry-After,
 * if set); `silent` sends headers and then
 * nothing; `ignoreLastEventId` replays every event on each connect (a misbehaving server).
 */
export async function startFeedServer(credentials: { clientId: string; clientSecret: string }) {
  const events: StoredEvent[] = [];
  const streams = new Set<ServerResponse>();
  const requests: FeedRequest[] = [];
  const knobs = {
    expected: basic(credentials.clientId, credentials.clientSecret),
    status: undefined as number | undefined,
    retryAfter: undefined as string | undefined,
    silent: false,
    ignoreLastEventId: false,
  };
  const frame = (e: StoredEvent) => `id: ${e.seq}\nevent: revocation\ndata: ${e.data}\n\n`;

  const server = createServer((req, res) => {
    const header = (name: string) => (typeof req.headers[name] === 'string' ? req.headers[name] : undefined);
    requests.push({ accept: header('accept'), authorization: header('authorization'), lastEventId: header('last-event-id') });
    if (knobs.status !== undefined) {
      const retryAfter = knobs.retryAfter === undefined ? {} : { 'retry-after': knobs.retryAfter };
      res.writeHead(knobs.status, { 'content-type': 'text/plain', ...retryAfter }).end('not now');
      return;
    }
    if (req.headers.authorization !== knobs.expected) {
      res
        .writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Basic realm="tessera"' })
        .end(JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Bad client.', code: 'invalid_client' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
    res.flushHeaders();
    streams.add(res);
    res.on('close', () => streams.delete(res));
    if (knobs.silent) return;
    res.write('retry: 2000\n\n');
    const after = knobs.ignoreLastEventId ? 0 : Number(header('last-event-id') ?? 0);
    const catchUp = events.filter((e) => e.seq > after);
    for (const e of catchUp) res.write(frame(e));
    res.write(`event: ready\ndata: ${JSON.stringify({ seq: Math.max(after, ...catchUp.map((e) => e.seq)) })}\n\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api/revocations`,
    requests,
    knobs,
    /** Streams open now. */
    openStreams: () => streams.size,
    /** Records a revocation and sends it to every open stream; returns its id. */
    publish(kind: 'sid' | 'jti', id: string, { expiresInMs = 600_000 } = {}): number {
      const now = Date.now();
      const data = JSON.stringify({
        kind,
        id,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + expiresInMs).toISOString(),
      });
      const event = { seq: (events.at(-1)?.seq ?? 0) + 1, data };
      events.push(event);
      for (const res of streams) res.write(frame(event));
      return event.seq;
    },
    /** Changes what a stored event says (to see whether a client applies a replay of it). */
    rewrite(seq: number, kind: 'sid' | 'jti', id: string) {
      const event = events.find((e) => e.seq === seq);
      if (event) event.data = JSON.stringify({ ...(JSON.parse(event.data) as object), kind, id });
    },
    /** Writes raw text to every open stream. */
    raw(text: string) {
      for (const res of streams) res.write(text);
    },
    /** Cuts every open stream, as a restart or a network failure would. */
    dropAll() {
      for (const res of streams) res.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FeedServer = Awaited<ReturnType<typeof startFeedServer>>;
