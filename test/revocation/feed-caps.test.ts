import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { listen } from '../helpers/listen.ts';
import { openFeed } from '../helpers/sse.ts';
import { createServiceClient, createTestApp } from '../helpers/test-app.ts';

/**
 * Red-team finding 9 (issue 25): the feed accepted any number of streams (1,000 from one client).
 * Now FEED_MAX_STREAMS_PER_CLIENT (default 4) per client and FEED_MAX_STREAMS in all; one more is
 * 429 rate_limited, and a closed stream frees its slot.
 */
describe('GET /api/revocations: stream caps', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(env: Record<string, string> = {}) {
    const t = await createTestApp(env);
    cleanup.push(() => t.close());
    const server = await listen(t.app);
    cleanup.push(server.close);
    const subscribe = async (client: { basic: string }) => {
      const feed = await openFeed(`${server.url}/api/revocations`, { authorization: client.basic });
      cleanup.push(feed.close);
      return feed;
    };
    /** Streams open at the server, as its metric counts them. */
    const streams = async () => {
      const metrics = await request(t.app).get('/metrics').expect(200);
      return Number(/^tessera_revocation_feed_streams (\d+)$/m.exec(metrics.text)?.[1]);
    };
    /** Until the server has seen `count` streams open (a closed one is noticed when its socket closes). */
    const streamsAre = async (count: number) => {
      const deadline = Date.now() + 3000;
      while ((await streams()) !== count) {
        if (Date.now() > deadline) throw new Error(`the server still counts ${await streams()} streams, not ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    return { t, subscribe, streamsAre };
  }

  async function expectRefused(feed: Awaited<ReturnType<typeof openFeed>>) {
    expect(feed.res.status).toBe(429);
    expect(feed.res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(feed.res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await feed.res.json()) as { code: string }).code).toBe('rate_limited');
  }

  it('holds 4 streams per client: the 5th is 429 with Retry-After; a closed one frees its slot; other clients are unaffected', async () => {
    const { t, subscribe, streamsAre } = await setup();
    const orders = await createServiceClient(t, 'orders');
    const billing = await createServiceClient(t, 'billing');
    const held = [];
    for (let i = 0; i < 4; i += 1) {
      const feed = await subscribe(orders);
      expect(feed.res.status, `stream ${i + 1}`).toBe(200);
      held.push(feed);
    }
    await expectRefused(await subscribe(orders));

    const other = await subscribe(billing);
    expect(other.res.status).toBe(200);
    await other.waitFor(other.ready);

    await held[0]!.close();
    await streamsAre(4); // three of orders, one of billing
    const replacement = await subscribe(orders);
    expect(replacement.res.status).toBe(200);
    await replacement.waitFor(replacement.ready);
    await expectRefused(await subscribe(orders));
  });

  it('holds FEED_MAX_STREAMS in all, whichever clients hold them', async () => {
    const { t, subscribe, streamsAre } = await setup({ FEED_MAX_STREAMS: '3' });
    const orders = await createServiceClient(t, 'orders');
    const billing = await createServiceClient(t, 'billing');
    const first = await subscribe(orders);
    expect(first.res.status).toBe(200);
    expect((await subscribe(orders)).res.status).toBe(200);
    expect((await subscribe(billing)).res.status).toBe(200);
    await expectRefused(await subscribe(billing));
    await expectRefused(await subscribe(orders));

    await first.close();
    await streamsAre(2);
    expect((await subscribe(billing)).res.status).toBe(200);
  });

  it('refused streams hold no slot: many refusals, then a close, and one more is accepted', async () => {
    const { t, subscribe, streamsAre } = await setup({ FEED_MAX_STREAMS_PER_CLIENT: '1' });
    const orders = await createServiceClient(t, 'orders');
    const only = await subscribe(orders);
    expect(only.res.status).toBe(200);
    for (let i = 0; i < 5; i += 1) await expectRefused(await subscribe(orders));
    await only.close();
    await streamsAre(0);
    expect((await subscribe(orders)).res.status).toBe(200);
  });

  it('the OpenAPI document lists the 429 with Retry-After', async () => {
    const { t } = await setup();
    const doc = (await request(t.app).get('/openapi.json').expect(200)).body as {
      paths: Record<string, { get: { responses: Record<string, { description: string; headers: object }> } }>;
    };
    const refused = doc.paths['/api/revocations']?.get.responses['429'];
    expect(refused?.description).toContain('`rate_limited`');
    expect(refused?.headers).toHaveProperty('Retry-After');
  });
});
