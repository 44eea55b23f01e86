import { endpoint, type Endpoint } from '../http/endpoint.ts';
import { validationFailed } from '../lib/errors.ts';
import type { RevocationFeed } from './revocation-feed.ts';

const EVENT_ID = /^\d{1,15}$/;

/** GET /api/revocations: the Server-Sent Events feed of revocations, for service clients. */
export function feedEndpoints(deps: { feed: RevocationFeed }): Endpoint[] {
  return [
    endpoint({
      method: 'get',
      path: '/api/revocations',
      operationId: 'revocationFeed',
      summary: 'Revocation feed (Server-Sent Events) for other services',
      description:
        'On connect: every revocation that may still cover a live access token (after `Last-Event-ID`, when sent), then `event: ready`; ' +
        'then each new one as it happens. Events are `event: revocation`, `id: <sequence>`, ' +
        '`data: {"kind":"sid"|"jti","id","createdAt","expiresAt"}` (kind `sid`: every token of that session). A `: keep-alive` comment comes every 15 s. ' +
        'On each server process, a client holds at most FEED_MAX_STREAMS_PER_CLIENT streams (default 4), and all clients FEED_MAX_STREAMS (default 1000): one more is `429 rate_limited`, with Retry-After.',
      access: 'client',
      responses: {
        200: { description: 'The event stream', contentType: 'text/event-stream', headers: ['Cache-Control'] },
        errors: ['rate_limited'],
      },
      async handler({ client, req, res }) {
        const header = req.headers['last-event-id'];
        if (header !== undefined && (typeof header !== 'string' || !EVENT_ID.test(header.trim()))) {
          throw validationFailed([{ path: 'Last-Event-ID', message: 'Must be an event id this feed sent (a whole number).' }]);
        }
        await deps.feed.serve(res, { clientId: client.id, lastEventId: typeof header === 'string' ? Number(header.trim()) : 0 });
      },
    }),
  ];
}
