import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshDatabase, TEST_DIALECT } from '../helpers/database.ts';
import { hasRedisServer, startPrivateRedis } from '../helpers/redis-server.ts';
import { publishDelayMs } from '../../src/tokens/key-publication.ts';
import { freePort, startServerProcess } from '../helpers/server-process.ts';

/**
 * Two real server processes on different ports, one PostgreSQL database, one Redis:
 * what teams run behind a load balancer. Runs in the postgres project only.
 */
const enabled = TEST_DIALECT === 'postgres' && hasRedisServer();

const startServer = startServerProcess;

async function call(base: string, path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies of several shapes
}

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;

describe.runIf(enabled)('two server processes, one PostgreSQL, one Redis', () => {
  let a: string;
  let b: string;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let drop: () => Promise<void>;
  const password = 'correct horse battery';

  beforeAll(async () => {
    redis = await startPrivateRedis();
    const database = await freshDatabase('/tmp');
    drop = database.drop;
    env = {
      NODE_ENV: 'production',
      APP_URL: 'https://auth.example.com',
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      JWT_REFRESH_SECRET: 'r'.repeat(40),
      KEY_ENCRYPTION_SECRET: 'k'.repeat(40),
      COOKIE_SECURE: 'false',
      KEY_POLL_INTERVAL: '1s',
      LOG_LEVEL: 'info',
    };
    const [portA, portB] = [await freePort(), await freePort()];
    // A first: it migrates and creates the first key; B then finds both.
    children.push(await startServer({ ...env, PORT: String(portA) }));
    children.push(await startServer({ ...env, PORT: String(portB) }));
    a = `http://127.0.0.1:${portA}`;
    b = `http://127.0.0.1:${portB}`;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) =>
            child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')),
          ),
      ),
    );
    await redis?.stop();
    await drop?.();
  });

  const signupLogin = async (signupOn: string, loginOn: string) => {
    const email = `mp-${Math.random().toString(36).slice(2)}@example.com`;
    expect((await call(signupOn, '/api/auth/signup', { body: { email, password } })).status).toBe(201);
    const login = await call(loginOn, '/api/auth/login', { body: { email, password } });
    expect(login.status).toBe(200);
    return login.body as { accessToken: string; refreshToken: string };
  };

  it('a user signed up on A logs in on B, and B accepts the token', async () => {
    const tokens = await signupLogin(a, b);
    expect((await call(a, '/api/protected', { token: tokens.accessToken })).status).toBe(200);
  });

  it('a logout on A makes the access token fail on B within one second', async () => {
    const tokens = await signupLogin(a, a);
    expect((await call(b, '/api/protected', { token: tokens.accessToken })).status).toBe(200);
    expect((await call(a, '/api/auth/logout', { body: { refreshToken: tokens.refreshToken } })).status).toBe(204);
    await vi.waitFor(async () => expect((await call(b, '/api/protected', { token: tokens.accessToken })).body.code).toBe('token_revoked'), {
      timeout: 1000,
      interval: 25,
    });
  });

  it('a refresh-token reuse on B ends the session for A', async () => {
    const first = await signupLogin(a, a);
    const rotated = await call(a, '/api/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(rotated.status).toBe(200);
    const reuse = await call(b, '/api/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('refresh_reused');
    expect((await call(a, '/api/auth/refresh', { body: { refreshToken: rotated.body.refreshToken } })).status).toBe(401);
    await vi.waitFor(
      async () => expect((await call(a, '/api/protected', { token: rotated.body.accessToken })).body.code).toBe('token_revoked'),
      {
        timeout: 1000,
        interval: 25,
      },
    );
  });

  it('ten concurrent refreshes of one token over A and B: exactly one succeeds', async () => {
    const tokens = await signupLogin(a, b);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call(i % 2 ? a : b, '/api/auth/refresh', { body: { refreshToken: tokens.refreshToken } })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(9);
  });

  it("a key rotated through A's CLI is used and verified on B", { timeout: 60_000 }, async () => {
    const before = await signupLogin(a, a);
    const cli = spawn('node', ['bin/tessera.js', 'keys', 'rotate'], { env: { ...process.env, ...env }, stdio: 'pipe' });
    let output = '';
    cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    expect(await new Promise((resolve) => cli.on('exit', resolve))).toBe(0);
    // A signs with the new key once it has been published for publishDelayMs: 32 s with a 1 s
    // KEY_POLL_INTERVAL, since the library's 30 s unknown-kid cooldown counts in (tokens/key-publication.ts).
    const signsFrom = Date.parse(/sign with it from (\S+?),/.exec(output)?.[1] ?? '');
    expect(signsFrom - Date.now()).toBeGreaterThan(publishDelayMs(1000) - 5000);
    await sleep(signsFrom - Date.now() + 1500); // A loaded it at a poll long before; a margin for timers
    const after = await signupLogin(a, a);
    expect(kidOf(after.accessToken)).not.toBe(kidOf(before.accessToken));
    expect((await call(b, '/api/protected', { token: after.accessToken })).status).toBe(200);
    expect((await call(b, '/api/protected', { token: before.accessToken })).status).toBe(200);
    const jwks = await call(b, '/.well-known/jwks.json');
    expect((jwks.body.keys as { kid: string }[]).map((k) => k.kid)).toEqual(
      expect.arrayContaining([kidOf(before.accessToken), kidOf(after.accessToken)]),
    );
  });
});

describe.runIf(TEST_DIALECT === 'sqlite')('TESSERA_WORKERS=2 on one port (SQLite)', () => {
  it('serves from two workers, shares state through the database, and drains on SIGTERM', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'tessera-workers-'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = await startServer({
      NODE_ENV: 'production',
      APP_URL: 'https://auth.example.com',
      DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
      JWT_REFRESH_SECRET: 'r'.repeat(40),
      KEY_ENCRYPTION_SECRET: 'k'.repeat(40),
      COOKIE_SECURE: 'false',
      TESSERA_WORKERS: '2',
      PORT: String(port),
    });
    try {
      const email = `w-${Math.random().toString(36).slice(2)}@example.com`;
      expect((await call(base, '/api/auth/signup', { body: { email, password: 'correct horse battery' } })).status).toBe(201);
      // Connections are spread over the workers: every step must work whichever one answers.
      for (let i = 0; i < 4; i += 1) {
        const login = await call(base, '/api/auth/login', { body: { email, password: 'correct horse battery' } });
        expect(login.status).toBe(200);
        const refreshed = await call(base, '/api/auth/refresh', { body: { refreshToken: login.body.refreshToken } });
        expect(refreshed.status).toBe(200);
        expect((await call(base, '/api/protected', { token: refreshed.body.accessToken })).status).toBe(200);
      }
    } finally {
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    }
  }, 60_000);
});
