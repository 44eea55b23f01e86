import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { insertRevocations } from '../../src/revocation/revocation.repository.ts';
import { sidOf } from '../helpers/cookies.ts';
import { listen } from '../helpers/listen.ts';
import { openFeed } from '../helpers/sse.ts';
import { createServiceClient, createTestApp, openSecondInstance, signupAndLogin } from '../helpers/test-app.ts';

describe('GET /api/revocations: the revocation feed (Server-Sent Events)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(options: Parameters<typeof createTestApp>[1] = {}) {
    const t = await createTestApp({}, options);
    cleanup.push(() => t.close());
    const server = await listen(t.app);
    cleanup.push(server.close);
    const client = await createServiceClient(t);
    const subscribe = async (headers: Record<string, string> = {}) => {
      const feed = await openFeed(`${server.url}/api/revocations`, { authorization: client.basic, ...headers });
      cleanup.push(feed.close);
      return feed;
    };
    const logout = (refreshToken: string) => request(t.app).post('/api/auth/logout').send({ refreshToken }).expect(204);
    return { t, server, client, subscribe, logout };
  }

  it('refuses anyone but a service client, and a Last-Event-ID it never sent', async () => {
    const { server, client, t } = await setup();
    const user = await signupAndLogin(t.app);
    for (const authorization of [
      undefined,
      `Bearer ${user.accessToken}`,
      `Basic ${Buffer.from(`${client.id}:wrong`).toString('base64')}`,
    ]) {
      const res = await fetch(`${server.url}/api/revocations`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="tessera"');
      expect(((await res.json()) as { code: string }).code).toBe('invalid_client');
    }
    for (const id of ['abc', '-1', '1.5', '9'.repeat(20)]) {
      const res = await fetch(`${server.url}/api/revocations`, { headers: { authorization: client.basic, 'last-event-id': id } });
      expect(res.status, id).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('validation_failed');
    }
  });

  it('catches up on connect with every live revocation, in sequence order, then says ready', async () => {
    const { t, subscribe, logout } = await setup();
    const a = await signupAndLogin(t.app);
    const b = await signupAndLogin(t.app);
    await logout(a.refreshToken);
    await logout(b.refreshToken);
    const feed = await subscribe();
    expect(feed.res.status).toBe(200);
    expect(feed.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(feed.res.headers.get('cache-control')).toBe('no-store');
    await feed.waitFor(feed.ready, 3000, 'ready');
    const events = feed.revocations();
    expect(events.map((e) => e.id)).toEqual([sidOf(a.accessToken), sidOf(b.accessToken)]);
    expect(events.every((e) => e.kind === 'sid')).toBe(true);
    expect(events[1]!.seq).toBeGreaterThan(events[0]!.seq);
    expect(Date.parse(events[0]!.expiresAt)).toBeGreaterThan(t.clock.now());
    const ready = feed.events.find((e) => e.event === 'ready');
    expect(JSON.parse(ready?.data ?? '{}')).toEqual({ seq: events[1]!.seq });
  });

  it('sends each new revocation as it happens: a session ended, a token revoked', async () => {
    const { t, subscribe, logout } = await setup();
    const feed = await subscribe();
    await feed.waitFor(feed.ready);
    const user = await signupAndLogin(t.app);
    await logout(user.refreshToken);
    await feed.waitFor(() => feed.revocations().length === 1, 1000, 'the logout');
    expect(feed.revocations()[0]).toMatchObject({ kind: 'sid', id: sidOf(user.accessToken) });

    const other = await signupAndLogin(t.app);
    await request(t.app).post('/api/auth/logout').set('Authorization', `Bearer ${other.accessToken}`).send({}).expect(204);
    await feed.waitFor(() => feed.revocations().some((e) => e.kind === 'jti'), 1000, 'the access-token revocation');
  });

  it('resumes after Last-Event-ID without a gap or a repeat', async () => {
    const { t, subscribe, logout } = await setup();
    const users = await Promise.all([1, 2, 3, 4].map(() => signupAndLogin(t.app)));
    await logout(users[0]!.refreshToken);
    await logout(users[1]!.refreshToken);
    const first = await subscribe();
    await first.waitFor(first.ready);
    const seen = first.revocations();
    expect(seen).toHaveLength(2);
    await first.close();

    await logout(users[2]!.refreshToken);
    await logout(users[3]!.refreshToken);
    const second = await subscribe({ 'last-event-id': String(seen.at(-1)!.seq) });
    await second.waitFor(second.ready);
    expect(second.revocations().map((e) => e.id)).toEqual([sidOf(users[2]!.accessToken), sidOf(users[3]!.accessToken)]);

    // An id this database never reached (it was restored, or reset) starts over from the beginning.
    const third = await subscribe({ 'last-event-id': '999999' });
    await third.waitFor(third.ready);
    expect(third.revocations()).toHaveLength(4);
  });

  it('streams a catch-up of 12,000 revocations at the pace the subscriber reads, to the end', async () => {
    const { t, subscribe } = await setup();
    const now = t.clock.now();
    const rows = Array.from({ length: 12_000 }, (_, i) => ({
      id: `s-${i}`,
      kind: 'sid' as const,
      createdAt: now,
      expiresAt: now + 600_000,
    }));
    await t.runtime.database.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 500) await insertRevocations(trx, rows.slice(i, i + 500));
    });
    const feed = await subscribe();
    await feed.waitFor(feed.ready, 20_000, 'ready after the whole catch-up');
    const seen = feed.revocations();
    expect(seen).toHaveLength(12_000);
    expect(new Set(seen.map((e) => e.seq)).size).toBe(12_000);
  });

  it('carries revocations made on another instance of the server (the shared sequence)', async () => {
    const { t, subscribe } = await setup();
    const second = await openSecondInstance(t);
    cleanup.push(() => second.runtime.close());
    const feed = await subscribe();
    await feed.waitFor(feed.ready);
    const user = await signupAndLogin(second.app);
    await request(second.app).post('/api/auth/logout').send({ refreshToken: user.refreshToken }).expect(204);
    // The other instance's row arrives with this one's poll (REVOCATION_POLL_INTERVAL, 500 ms).
    await feed.waitFor(() => feed.revocations().length === 1, 1500, 'the other instance’s logout');
  });

  it('keeps the stream open with comments, and closes it once the client is deleted', async () => {
    const { subscribe, client } = await setup({ app: { feedHeartbeatMs: 100 } });
    const feed = await subscribe();
    await feed.waitFor(() => feed.events.some((e) => e.comment === 'keep-alive'), 2000, 'a keep-alive comment');
    expect(feed.ended).toBe(false);
    await client.service.delete(client.id, { actorId: null, via: 'cli' });
    await feed.waitFor(() => feed.ended, 2000, 'the stream to end');
  });

  it('ends its streams when the server shuts down, so it can drain', async () => {
    const stopping = new AbortController();
    const { subscribe, t } = await setup({ app: { shutdown: stopping.signal } });
    const feed = await subscribe();
    await feed.waitFor(feed.ready);
    const metrics = await request(t.app).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^tessera_revocation_feed_streams 1$/m);
    stopping.abort();
    await feed.waitFor(() => feed.ended, 2000, 'the stream to end');
  });
});
