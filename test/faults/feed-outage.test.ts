import type { Server } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findRevocationFeed } from '../../src/express/feed-registry.ts';
import { closeRevocationFeeds, problemHandler, requireAuth } from '../../src/express/index.ts';
import type { FeedLogger } from '../../src/express/revocation-options.ts';
import { createHttpServer } from '../../src/http-server.ts';
import { fakeClock } from '../helpers/clock.ts';
import { createServiceClient, createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

/**
 * Issue 26, fault 6: while the revocation feed was down a resource service could not hear of
 * revocations, and after the auth server came back it went on honouring revoked tokens for
 * 15–24 s (the reconnect back-off had grown towards 30 s); `onStale: 'deny'` counted staleness
 * from when the reconnect loop noticed, and then kept denying for as long. Here a resource
 * service runs requireAuth with the feed of a real Tessera server over HTTP, with the library's
 * default back-off; the server's keep-alive (15 s in production) and staleAfter (30 s by
 * default) are scaled down together so the test takes seconds.
 */
const KEEP_ALIVE_MS = 200;
const STALE_AFTER_MS = 1000;
/** Long enough for the old back-off (equal jitter, doubling from 250 ms) to wait more than 2 s. */
const DOWN_MS = 4000;
/** The library's back-off ceiling: a retry is never further away than this. */
const MAX_RETRY_MS = 2000;
/** How soon after the server is back the service must hear it (ceiling + connect + catch-up). */
const BACK_WITHIN_MS = 3000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; returns how long that took, or fails once `withinMs` has passed. */
async function until(what: string, check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(20);
  }
}

/** Log lines of the feed, with their details. */
function recordingLogger() {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, msg, obj: obj as Record<string, unknown> });
  const logger: FeedLogger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger };
}

/** A TCP hop in front of the server that can stop passing the server's bytes on without closing anything (a partition). */
async function startSilencingProxy(targetPort: number) {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let silent = false;
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) socket.on('close', end).on('error', end);
    client.pipe(upstream);
    if (silent) upstream.pause();
    else upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    silence() {
      silent = true;
      for (const { client, upstream } of pairs) {
        upstream.unpipe(client);
        upstream.pause(); // the bytes wait, as they would in a partitioned network
      }
    },
    resume() {
      silent = false;
      for (const { client, upstream } of pairs) upstream.pipe(client);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, upstream } of pairs) {
          client.destroy();
          upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

describe('a revocation feed outage (issue 26, fault 6)', () => {
  let t: TestApp | undefined;
  let server: Server | undefined;
  let proxy: Awaited<ReturnType<typeof startSilencingProxy>> | undefined;

  afterEach(async () => {
    await closeRevocationFeeds();
    await proxy?.close();
    if (server?.listening) {
      server.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
    await t?.close();
    t = server = proxy = undefined;
  });

  /** A Tessera server listening on `port` (0: any), over real HTTP, with the scaled-down keep-alive. */
  async function startAuthServer() {
    t = await createTestApp({}, { clock: fakeClock(Date.now()), app: { feedHeartbeatMs: KEEP_ALIVE_MS } });
    const http = (server = createHttpServer(t.app, t.config.httpTimeouts));
    const listen = (port: number) => new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
    await listen(0);
    const { port } = http.address() as AddressInfo;
    return {
      t,
      port,
      client: await createServiceClient(t),
      /** Stops the server: it listens no more and every connection, the feed's stream included, is cut. */
      down: () =>
        new Promise<void>((resolve) => {
          http.closeAllConnections();
          http.close(() => resolve());
        }),
      /** The same server on the same port again. */
      up: () => listen(port),
    };
  }

  /** A resource service on the feed at `feedUrl`: /allow with the default onStale, /deny with 'deny'. */
  function resourceService(authPort: number, feedUrl: string, credentials: { id: string; secret: string }, logger: FeedLogger) {
    const auth = (onStale: 'allow' | 'deny') =>
      requireAuth({
        jwksUrl: `http://127.0.0.1:${authPort}/.well-known/jwks.json`,
        issuer: t!.config.jwt.issuer, // the server started by startAuthServer
        audience: 'tessera-api',
        revocations: {
          url: feedUrl,
          clientId: credentials.id,
          clientSecret: credentials.secret,
          onStale,
          staleAfter: STALE_AFTER_MS,
          logger,
        },
      });
    const app = express();
    app.get('/allow', auth('allow'), (_req, res) => res.json({}));
    app.get('/deny', auth('deny'), (_req, res) => res.json({}));
    app.use(problemHandler());
    return (path: '/allow' | '/deny', token: string) => request(app).get(path).set('Authorization', `Bearer ${token}`);
  }

  it('refuses a token revoked during the outage within seconds of the server being back, resuming with Last-Event-ID', async () => {
    const auth = await startAuthServer();
    const feedUrl = `http://127.0.0.1:${auth.port}/api/revocations`;
    const { lines, logger } = recordingLogger();
    const get = resourceService(auth.port, feedUrl, auth.client, logger);
    const feed = () => findRevocationFeed(feedUrl, auth.client.id);
    const [ada, bob, cy] = await Promise.all([signupAndLogin(auth.t.app), signupAndLogin(auth.t.app), signupAndLogin(auth.t.app)]);
    await vi.waitFor(() => expect(feed()?.isCurrent()).toBe(true), { timeout: 5000, interval: 20 });
    expect((await get('/deny', ada.accessToken)).status).toBe(200);

    // Live: a logout is refused at once, and the keep-alives keep a quiet stream fresh past staleAfter.
    await request(auth.t.app).post('/api/auth/logout').send({ refreshToken: cy.refreshToken }).expect(204);
    await until('a live revocation', async () => (await get('/allow', cy.accessToken)).status === 401, 1000);
    await sleep(STALE_AFTER_MS * 1.5);
    expect((await get('/deny', ada.accessToken)).status).toBe(200);
    const cursor = feed()?.lastEventId();
    expect(cursor).toBeGreaterThan(0);

    // The server goes down. bob logs out meanwhile (the database is still there): the service cannot hear it.
    const downAt = performance.now();
    await auth.down();
    await request(auth.t.app).post('/api/auth/logout').send({ refreshToken: bob.refreshToken }).expect(204);
    // 'deny' starts about staleAfter after the last keep-alive or event...
    await until('deny during the outage', async () => (await get('/deny', ada.accessToken)).status === 503, 3 * STALE_AFTER_MS);
    const deniedAfterMs = performance.now() - downAt;
    expect(deniedAfterMs).toBeGreaterThanOrEqual(STALE_AFTER_MS / 2);
    expect(deniedAfterMs).toBeLessThan(STALE_AFTER_MS + KEEP_ALIVE_MS + 700);
    // ...while 'allow' still lets bob's revoked token through: that is what an outage costs.
    expect((await get('/allow', bob.accessToken)).status).toBe(200);
    await sleep(DOWN_MS - (performance.now() - downAt));

    // Back on the same port: bob is refused, and 'deny' lets good tokens through, within seconds.
    await auth.up();
    const backAt = performance.now();
    const refusedAfterMs = await until(
      'the revocation made during the outage',
      async () => (await get('/allow', bob.accessToken)).body.code === 'token_revoked',
      BACK_WITHIN_MS,
    );
    await until('deny to end', async () => (await get('/deny', ada.accessToken)).status === 200, BACK_WITHIN_MS);
    const freshAfterMs = performance.now() - backAt;
    expect(refusedAfterMs).toBeLessThan(BACK_WITHIN_MS);
    expect(freshAfterMs).toBeLessThan(BACK_WITHIN_MS);

    // The back-off never waited longer than its ceiling, and the stream resumed after the last event it had.
    const retries = lines.filter((line) => /disconnected/.test(line.msg)).map((line) => Number(line.obj.retryInMs));
    expect(retries.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...retries)).toBeLessThanOrEqual(MAX_RETRY_MS);
    const resumedFrom = auth.t.logs
      .flatMap((chunk) => chunk.split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as { msg?: string; from?: number })
      .filter((line) => line.msg === 'revocation feed subscriber connected')
      .map((line) => line.from);
    expect(resumedFrom).toEqual([0, cursor]);
    expect((await get('/deny', cy.accessToken)).body.code).toBe('token_revoked'); // kept through the outage

    // Live again.
    await request(auth.t.app).post('/api/auth/logout').send({ refreshToken: ada.refreshToken }).expect(204);
    await until('a live revocation after the outage', async () => (await get('/allow', ada.accessToken)).status === 401, 1000);
  });

  it('counts staleness from the last keep-alive of a stream gone silent, not from when a reconnect notices; its next bytes clear it', async () => {
    const auth = await startAuthServer();
    proxy = await startSilencingProxy(auth.port);
    const feedUrl = `http://127.0.0.1:${proxy.port}/api/revocations`;
    const { lines, logger } = recordingLogger();
    const get = resourceService(auth.port, feedUrl, auth.client, logger);
    const feed = () => findRevocationFeed(feedUrl, auth.client.id);
    const [ada, bob] = await Promise.all([signupAndLogin(auth.t.app), signupAndLogin(auth.t.app)]);
    await vi.waitFor(() => expect(feed()?.isCurrent()).toBe(true), { timeout: 5000, interval: 20 });
    expect((await get('/deny', ada.accessToken)).status).toBe(200);

    // The path to the server stops carrying bytes; the connection stays open, so nothing notices
    // until the idle watchdog (25 s). bob logs out meanwhile.
    const silentAt = performance.now();
    proxy.silence();
    await request(auth.t.app).post('/api/auth/logout').send({ refreshToken: bob.refreshToken }).expect(204);
    await until('deny on a silent stream', async () => (await get('/deny', ada.accessToken)).status === 503, 3 * STALE_AFTER_MS);
    const deniedAfterMs = performance.now() - silentAt;
    expect(deniedAfterMs).toBeGreaterThanOrEqual(STALE_AFTER_MS / 2);
    expect(deniedAfterMs).toBeLessThan(STALE_AFTER_MS + KEEP_ALIVE_MS + 700);
    expect(feed()?.isCurrent()).toBe(true); // the stream itself has not been dropped
    expect(lines.find((line) => /: stale;/.test(line.msg))?.obj.state).toBe('current');

    // The bytes flow again: the keep-alives and bob's revocation held up on the way arrive, and
    // 'deny' ends at once, on the same stream.
    proxy.resume();
    const freshAfterMs = await until('deny to end', async () => (await get('/deny', ada.accessToken)).status === 200, 1000);
    expect(freshAfterMs).toBeLessThan(1000);
    expect((await get('/allow', bob.accessToken)).body.code).toBe('token_revoked');
    expect(lines.filter((line) => /connecting/.test(line.msg))).toHaveLength(1);
  });
});
