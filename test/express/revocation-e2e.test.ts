import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli.ts';
import { findRevocationFeed } from '../../src/express/feed-registry.ts';
import { closeRevocationFeeds, problemHandler, requireAuth } from '../../src/express/index.ts';
import { freshDatabase } from '../helpers/database.ts';
import { freePort, startServerProcess as startServer, stopServerProcess as stop } from '../helpers/server-process.ts';

/**
 * The whole path as a user runs it: a Tessera server process, a service client made with the CLI,
 * and another Express service in this process protected by requireAuth with the revocation feed.
 */
const PASSWORD = 'correct horse battery staple';

describe('requireAuth with the revocation feed, against a real server process', () => {
  let dir: string;
  let env: Record<string, string>;
  let base: string;
  let server: ChildProcess;
  let drop: () => Promise<void>;
  let credentials: { clientId: string; clientSecret: string };
  const logs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-e2e-'));
    const database = await freshDatabase(dir);
    drop = database.drop;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      NODE_ENV: 'production',
      APP_URL: 'https://auth.example.com',
      PORT: String(port),
      DATA_DIR: dir,
      DATABASE_URL: database.url,
      JWT_REFRESH_SECRET: 'r'.repeat(40),
      KEY_ENCRYPTION_SECRET: 'k'.repeat(40),
      COOKIE_SECURE: 'false',
      LOG_LEVEL: 'info',
    };
    const out: string[] = [];
    expect(await runCli(['client', 'create', '--name', 'orders-api'], env, (line) => out.push(line))).toBe(0);
    credentials = {
      clientId: /client_id: (\S+)/.exec(out.join('\n'))?.[1] ?? '',
      clientSecret: /client_secret: (\S+)/.exec(out.join('\n'))?.[1] ?? '',
    };
    server = await startServer(env);
  }, 30_000);

  afterAll(async () => {
    await closeRevocationFeeds();
    await stop(server);
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const login = async (email: string) => {
    await fetch(`${base}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const res = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { accessToken: string; refreshToken: string };
  };

  const api = (onStale: 'allow' | 'deny') => {
    const app = express();
    const auth = requireAuth({
      jwksUrl: `${base}/.well-known/jwks.json`,
      issuer: 'https://auth.example.com', // the server's APP_URL, its default issuer
      audience: 'tessera-api',
      revocations: {
        url: `${base}/api/revocations`,
        ...credentials,
        onStale,
        // Counted from the last event or keep-alive, and this server sends one every 15 s: 'deny'
        // needs a staleAfter well above that. 'allow' may go stale at once (it refuses nothing).
        staleAfter: onStale === 'deny' ? 20_000 : 1500,
        logger: {
          info: (_o, msg) => logs.push(`info ${msg}`),
          warn: (_o, msg) => logs.push(`warn ${msg}`),
          error: (_o, msg) => logs.push(`error ${msg}`),
        },
      },
    });
    app.get('/orders', auth, (req, res) => res.json({ user: req.auth?.sub }));
    app.use(problemHandler());
    return app;
  };

  it('refuses a token within a second of its logout at the server, and survives a server restart', async () => {
    const allow = api('allow');
    const deny = api('deny');
    const feed = () => findRevocationFeed(`${base}/api/revocations`, credentials.clientId);
    await vi.waitFor(() => expect(feed()?.isCurrent()).toBe(true), { timeout: 10_000, interval: 20 });

    // 1. Logout at the server: the other service refuses the access token within a second.
    const ada = await login(`ada-${process.pid}@example.com`);
    await request(allow).get('/orders').set('Authorization', `Bearer ${ada.accessToken}`).expect(200);
    await request(deny).get('/orders').set('Authorization', `Bearer ${ada.accessToken}`).expect(200); // its keys fetched too
    const loggedOut = await fetch(`${base}/api/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: ada.refreshToken }),
    });
    expect(loggedOut.status).toBe(204);
    const after = Date.now();
    let refusedAfterMs = Infinity;
    while (Date.now() - after < 3000) {
      const res = await request(allow).get('/orders').set('Authorization', `Bearer ${ada.accessToken}`);
      if (res.status === 401) {
        expect(res.body.code).toBe('token_revoked');
        refusedAfterMs = Date.now() - after;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(refusedAfterMs, 'the contract: refused within one second of the revocation').toBeLessThan(1000);

    // 2. The server stops: past its staleAfter, 'allow' lets a good token through (and warns); 'deny'
    // is within its own (the 503 once stale, and its end, are in test/faults/feed-outage.test.ts).
    const bob = await login(`bob-${process.pid}@example.com`);
    await stop(server);
    await vi.waitFor(() => expect(feed()?.isCurrent()).toBe(false), { timeout: 5000, interval: 20 });
    await new Promise((resolve) => setTimeout(resolve, 1700));
    await request(deny).get('/orders').set('Authorization', `Bearer ${bob.accessToken}`).expect(200);
    await request(allow).get('/orders').set('Authorization', `Bearer ${bob.accessToken}`).expect(200);
    expect(logs.some((line) => line.startsWith('warn') && /: stale;/.test(line))).toBe(true);
    // A service that starts during the outage cannot fetch the keys: 503, not 401.
    const late = api('allow');
    const cold = await request(late).get('/orders').set('Authorization', `Bearer ${bob.accessToken}`);
    expect(cold.status).toBe(503);

    // 3. While the server is down, an operator disables bob with the CLI (a revocation row).
    expect(await runCli(['user', 'disable', '--email', `bob-${process.pid}@example.com`], env, () => {})).toBe(0);

    // 4. The server comes back: the stream resumes from its last id and catches up on the disable.
    server = await startServer(env);
    await vi.waitFor(() => expect(feed()?.isCurrent()).toBe(true), { timeout: 10_000, interval: 20 });
    const bobRes = await request(deny).get('/orders').set('Authorization', `Bearer ${bob.accessToken}`);
    expect(bobRes.status, JSON.stringify(bobRes.body)).toBe(401);
    expect(bobRes.body.code, JSON.stringify(bobRes.body)).toBe('token_revoked');
    expect(bobRes.body.code).toBe('token_revoked');
    // ada's revocation is still known (not re-sent, not lost), and a live token passes again under 'deny'.
    expect((await request(deny).get('/orders').set('Authorization', `Bearer ${ada.accessToken}`)).body.code).toBe('token_revoked');
    const cy = await login(`cy-${process.pid}@example.com`);
    await request(deny).get('/orders').set('Authorization', `Bearer ${cy.accessToken}`).expect(200);
    // The service that could not fetch the keys during the outage has them a moment after it ends.
    await vi.waitFor(
      async () => expect((await request(late).get('/orders').set('Authorization', `Bearer ${cy.accessToken}`)).status).toBe(200),
      {
        timeout: 5000,
        interval: 100,
      },
    );
  }, 40_000);
});
