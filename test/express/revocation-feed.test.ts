import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import express from 'express';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { findRevocationFeed } from '../../src/express/feed-registry.ts';
import {
  closeRevocationFeeds,
  problemHandler,
  requireAuth,
  type RequireAuthOptions,
  type RevocationFeedOptions,
} from '../../src/express/index.ts';
import { fakeClock } from '../helpers/clock.ts';
import { expectProblem } from '../helpers/problem-assertions.ts';
import { basic, startFeedServer, type FeedServer } from './feed-server.ts';
import { makeKey, mint, nowSeconds, resourceServer, serveJwks } from './identity-provider.ts';

// A client id and secret that form-encoding changes, to check RFC 6749 §2.3.1 is followed.
const CLIENT = { clientId: 'svc one', clientSecret: 's3cr:t+/=' };
const FAST = { initialMs: 5, maxMs: 40, refusedMs: 40 };
const WAIT = { timeout: 10_000, interval: 10 };
const execFileAsync = promisify(execFile);
const TSX = 'node_modules/.bin/tsx';
const FIXTURE = 'test/express/feed-exit.fixture.ts';

const key = makeKey('feed-ed', 'EdDSA');
let jwks: Awaited<ReturnType<typeof serveJwks>>;
let feed: FeedServer;
beforeAll(async () => {
  jwks = await serveJwks([key]);
});
afterAll(async () => {
  await jwks.close();
});
beforeEach(async () => {
  feed = await startFeedServer(CLIENT);
});
afterEach(async () => {
  await closeRevocationFeeds();
  await feed.close();
});

/** A Tessera access token of session `sid`, id `jti`. */
const token = (sid: string, jti = `j-${sid}`) =>
  mint(
    key,
    { iss: 'tessera', aud: 'tessera-api', sub: 'u1', sid, jti, roles: ['user'], iat: nowSeconds(), exp: nowSeconds() + 300 },
    'at+jwt',
  );

/** Log lines, by level. */
function recordingLogger() {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, msg, obj: obj as Record<string, unknown> });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } };
}

/** A resource server on the test JWKS, subscribed to the stand-in feed. */
function api(revocations: Partial<RevocationFeedOptions> = {}, options: Partial<RequireAuthOptions> = {}) {
  const app = resourceServer({
    jwksUrl: jwks.jwksUrl,
    issuer: 'tessera',
    audience: 'tessera-api',
    revocations: { url: feed.url, ...CLIENT, timing: FAST, logger: recordingLogger().logger, ...revocations },
    ...options,
  });
  return { get: async (bearer: string) => request(app).get('/me').set('Authorization', `Bearer ${bearer}`) };
}

const theFeed = () => findRevocationFeed(feed.url, CLIENT.clientId);
const untilCurrent = () => vi.waitFor(() => expect(theFeed()?.isCurrent()).toBe(true), WAIT);

describe('requireAuth with the revocation feed', () => {
  it('applies the catch-up, then refuses tokens of a revoked session or a revoked jti with 401 token_revoked', async () => {
    feed.publish('sid', 's-gone');
    feed.publish('jti', 'j-gone');
    const service = api();
    await untilCurrent();

    expect(feed.requests).toEqual([
      { accept: 'text/event-stream', authorization: basic(CLIENT.clientId, CLIENT.clientSecret), lastEventId: undefined },
    ]);
    const revokedSession = await service.get(await token('s-gone'));
    expectProblem(revokedSession, 401, 'token_revoked');
    expect(revokedSession.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expectProblem(await service.get(await token('s-live', 'j-gone')), 401, 'token_revoked');
    expect((await service.get(await token('s-live'))).status).toBe(200);
  });

  it('refuses a token revoked while the stream is open, as soon as the event arrives', async () => {
    const service = api();
    await untilCurrent();
    const live = await token('s-1');
    expect((await service.get(live)).status).toBe(200);

    feed.publish('sid', 's-1');
    await vi.waitFor(async () => expect((await service.get(live)).status).toBe(401), WAIT);
    expectProblem(await service.get(live), 401, 'token_revoked');
    expect(feed.requests).toHaveLength(1); // pushed, not polled
  });

  it('checks only the claims a token of another issuer carries', async () => {
    feed.publish('jti', 'foreign-jti');
    const service = api({}, { typ: false, requiredClaims: ['sub', 'exp'] });
    await untilCurrent();
    const foreign = (claims: Record<string, unknown>) =>
      mint(key, { iss: 'tessera', aud: 'tessera-api', sub: 'u9', exp: nowSeconds() + 300, ...claims });
    expectProblem(await service.get(await foreign({ jti: 'foreign-jti' })), 401, 'token_revoked');
    expect((await service.get(await foreign({}))).status).toBe(200);
  });

  it('resumes a dropped stream with Last-Event-ID: nothing missed, nothing applied twice', async () => {
    feed.publish('sid', 's-1');
    feed.publish('sid', 's-2');
    api();
    await untilCurrent();
    expect(theFeed()?.lastEventId()).toBe(2);

    // The server goes away; a revocation is made meanwhile.
    feed.knobs.status = 503;
    feed.dropAll();
    await vi.waitFor(() => expect(feed.requests.length).toBeGreaterThanOrEqual(2), WAIT);
    feed.publish('sid', 's-3');
    // A replay of event 1 saying something else must not be applied: its id was seen already.
    feed.rewrite(1, 'sid', 'replayed');
    feed.knobs.ignoreLastEventId = true;
    feed.knobs.status = undefined;
    await untilCurrent();

    const resumed = feed.requests.at(-1);
    expect(resumed?.lastEventId).toBe('2');
    expect(feed.requests.slice(1).every((r) => r.lastEventId === '2')).toBe(true);
    const service = api(); // shares the stream
    expectProblem(await service.get(await token('s-3')), 401, 'token_revoked');
    expectProblem(await service.get(await token('s-1')), 401, 'token_revoked');
    expect((await service.get(await token('replayed'))).status).toBe(200);
    expect(theFeed()?.lastEventId()).toBe(3);
  });

  it('ignores malformed and unknown events without dropping the stream', async () => {
    const { lines, logger } = recordingLogger();
    const service = api({ logger });
    await untilCurrent();
    feed.raw('id: 50\nevent: revocation\ndata: not json\n\n');
    feed.raw('event: revocation\nid: 51\ndata: {"kind":"sid","id":"","createdAt":"x","expiresAt":"y"}\n\n');
    feed.raw('event: hello\ndata: {}\n\n');
    feed.raw(
      'id: 52\nevent: revocation\ndata: {"kind":"sid","id":"s-ok","createdAt":"2026-01-01T00:00:00Z","expiresAt":"2999-01-01T00:00:00Z"}\n\n',
    );
    await vi.waitFor(() => expect(theFeed()?.lastEventId()).toBe(52), WAIT);

    expectProblem(await service.get(await token('s-ok')), 401, 'token_revoked');
    expect(lines.filter((l) => l.level === 'warn' && /malformed/.test(l.msg))).toHaveLength(2);
    expect(lines.filter((l) => l.level === 'debug' && /unknown event/.test(l.msg))).toHaveLength(1);
    expect(feed.requests).toHaveLength(1);
  });

  it('logs refused client credentials at error level and keeps retrying, so a client created later works', async () => {
    const { lines, logger } = recordingLogger();
    feed.knobs.expected = basic(CLIENT.clientId, 'another secret');
    api({ logger });
    await vi.waitFor(() => expect(lines.filter((l) => l.level === 'error').length).toBeGreaterThanOrEqual(2), WAIT);
    const refused = lines.find((l) => l.level === 'error');
    expect(refused?.msg).toMatch(/client credentials refused/);
    expect(refused?.obj.reason).toMatch(/401 invalid_client/);
    expect(refused?.obj.retryInMs).toBe(FAST.refusedMs);
    expect(JSON.stringify(lines)).not.toContain(CLIENT.clientSecret);
    expect(theFeed()?.isCurrent()).toBe(false);

    feed.knobs.expected = basic(CLIENT.clientId, CLIENT.clientSecret);
    await untilCurrent();
  });

  it("while stale with onStale 'allow' (the default), lets verified tokens through and warns once per outage", async () => {
    const clock = fakeClock(Date.now());
    const { lines, logger } = recordingLogger();
    feed.knobs.status = 503;
    const service = api({ logger, staleAfter: 1000 }, { clock });
    const live = await token('s-1');
    expect((await service.get(live)).status).toBe(200);
    clock.advance(1001);
    expect((await service.get(live)).status).toBe(200);
    expect((await service.get(live)).status).toBe(200);
    const stale = lines.filter((l) => /: stale;/.test(l.msg));
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ level: 'warn', obj: { onStale: 'allow', staleAfter: 1000 } });
  });

  it("while stale with onStale 'deny', answers 503 unavailable; the stream's recovery clears it, and a new outage is stale again", async () => {
    const clock = fakeClock(Date.now());
    const { lines, logger } = recordingLogger();
    feed.knobs.status = 503;
    const service = api({ logger, staleAfter: 1000, onStale: 'deny' }, { clock });
    const live = await token('s-1');
    expect((await service.get(live)).status).toBe(200); // down since start-up, not yet for long
    clock.advance(1001);
    const denied = await service.get(live);
    expectProblem(denied, 503, 'unavailable');
    expectProblem(await service.get('not-a-token'), 401, 'invalid_token'); // only verified tokens meet the policy

    feed.knobs.status = undefined;
    await untilCurrent();
    expect((await service.get(live)).status).toBe(200);

    feed.knobs.status = 503;
    feed.dropAll();
    await vi.waitFor(() => expect(theFeed()?.isCurrent()).toBe(false), WAIT);
    expect((await service.get(live)).status).toBe(200);
    clock.advance(1001);
    expectProblem(await service.get(live), 503, 'unavailable');
    expect(lines.filter((l) => /: stale;/.test(l.msg))).toHaveLength(2);
  });

  it('counts staleness from the last event or keep-alive, even on an open stream; the next keep-alive clears it', async () => {
    const clock = fakeClock(Date.now());
    const { lines, logger } = recordingLogger();
    const service = api({ logger, staleAfter: 1000, onStale: 'deny' }, { clock });
    await untilCurrent();
    const live = await token('s-1');
    const keepAlive = async () => {
      feed.raw(': keep-alive\n\n');
      await vi.waitFor(() => expect(theFeed()?.heardAt()).toBe(clock.now()), WAIT);
    };

    clock.advance(600);
    await keepAlive();
    clock.advance(600); // 1200 ms since the catch-up, 600 since the keep-alive: fresh
    expect((await service.get(live)).status).toBe(200);
    clock.advance(500); // 1100 ms of silence on a stream that is still open (a partition, say)
    expect(theFeed()?.isCurrent()).toBe(true);
    expectProblem(await service.get(live), 503, 'unavailable');
    expect(lines.find((l) => /: stale;/.test(l.msg))?.obj).toMatchObject({ state: 'current', silentForMs: 1100 });

    await keepAlive();
    expect((await service.get(live)).status).toBe(200);
    expect(feed.requests).toHaveLength(1); // the same stream throughout
  });

  it('waits as long as a 429 Retry-After asks (the feed is full), not the short back-off', async () => {
    const { lines, logger } = recordingLogger();
    feed.knobs.status = 429;
    feed.knobs.retryAfter = '2';
    api({ logger });
    await vi.waitFor(() => expect(lines.some((l) => /disconnected/.test(l.msg))).toBe(true), WAIT);
    expect(lines.find((l) => /disconnected/.test(l.msg))?.obj).toMatchObject({
      reason: 'unexpected response 429 text/plain',
      retryInMs: 2000,
    });
    await new Promise((resolve) => setTimeout(resolve, 20 * FAST.maxMs));
    expect(feed.requests).toHaveLength(1);
  });

  it('drops a stream that sends no bytes for idleMs, and reconnects', async () => {
    const { lines, logger } = recordingLogger();
    feed.knobs.silent = true;
    api({ logger, timing: { ...FAST, idleMs: 50 } });
    await vi.waitFor(() => expect(feed.requests.length).toBeGreaterThanOrEqual(2), WAIT);
    expect(lines.find((l) => l.level === 'warn')?.obj.reason).toBe('no bytes for 50 ms');
  });

  it('shares one stream between requireAuth instances naming the same feed and client', async () => {
    feed.publish('sid', 's-gone');
    const one = api();
    const two = api({ staleAfter: 5, onStale: 'deny' });
    const plain = express().get(
      '/x',
      requireAuth({ jwksUrl: jwks.jwksUrl, issuer: 'tessera', audience: 'tessera-api', revocations: { url: feed.url, ...CLIENT } }),
      (_req, res) => {
        res.json({});
      },
    );
    plain.use(problemHandler());
    await untilCurrent();
    expect(feed.openStreams()).toBe(1);
    expect(feed.requests).toHaveLength(1);
    const gone = await token('s-gone');
    expectProblem(await one.get(gone), 401, 'token_revoked');
    expectProblem(await two.get(gone), 401, 'token_revoked');
    expectProblem(await request(plain).get('/x').set('Authorization', `Bearer ${gone}`), 401, 'token_revoked');
  });

  it('closeRevocationFeeds ends the stream and stops retrying', async () => {
    api();
    await untilCurrent();
    const opened = theFeed();
    expect(feed.openStreams()).toBe(1);

    await closeRevocationFeeds();
    expect(opened?.state()).toBe('closed');
    expect(theFeed()).toBeUndefined();
    await vi.waitFor(() => expect(feed.openStreams()).toBe(0), WAIT);
    const requests = feed.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 10 * FAST.maxMs));
    expect(feed.requests).toHaveLength(requests);
  });

  it('leaves nothing that keeps a process alive: after closeRevocationFeeds, or while only retrying', async () => {
    const run = (url: string, mode: 'close' | 'down') =>
      execFileAsync(TSX, [FIXTURE, url, mode], { timeout: 20_000, killSignal: 'SIGKILL' }).then(({ stdout }) => stdout.trim());
    expect(await run(feed.url, 'close')).toBe('done closed');
    expect(feed.requests).toHaveLength(1);
    expect(await run('http://127.0.0.1:9/api/revocations', 'down')).toBe('done down'); // the discard port: refused
  });

  it('checks its options when created', () => {
    const create = (revocations: Partial<RevocationFeedOptions>) => () =>
      requireAuth({
        jwksUrl: jwks.jwksUrl,
        issuer: 'tessera',
        audience: 'tessera-api',
        revocations: { url: feed.url, ...CLIENT, ...revocations },
      });
    expect(create({ url: 'ftp://auth.example.com/feed' })).toThrow(TypeError);
    expect(create({ url: 'not a url' })).toThrow(TypeError);
    expect(create({ clientSecret: '' })).toThrow(TypeError);
    expect(create({ onStale: 'maybe' as 'allow' })).toThrow(TypeError);
    expect(create({ staleAfter: -1 })).toThrow(TypeError);
    expect(theFeed()).toBeUndefined();
  });
});
