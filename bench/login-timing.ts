/**
 * Timing of the endpoints that must not reveal whether an address has an account: login (an
 * unknown email against a wrong password for a known one), password/forgot and
 * email/verify/request (an unknown address against a known, unverified one). Alternates the two
 * kinds of request (so drift affects both alike) and prints the medians and their ratio.
 *
 *   npm run bench:login-timing            (BENCH_TIMING_ROUNDS=200 by default)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { openRuntime } from '../src/runtime.ts';

const rounds = Number(process.env.BENCH_TIMING_ROUNDS ?? 200);

/**
 * The server runs in its own process, as an attacker would meet it: the work done after an
 * answer (the lookup and the mail of `forgot`) must not count as part of it, and it would if
 * client and server shared one event loop.
 */
if (process.env.TIMING_SERVER_DIR) {
  const dir = process.env.TIMING_SERVER_DIR;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: `sqlite:${join(dir, 'timing.db')}`,
    DATA_DIR: dir, // the mails of forgot and verify/request go to the outbox here
    RATE_LIMIT_ACCOUNT_MAX: '1000000',
    RATE_LIMIT_IP_MAX: '100000000',
  });
  const logger = pino({ level: 'silent' });
  const runtime = await openRuntime(config, systemClock, logger);
  const app = createApp({ config, ...runtime, clock: systemClock, logger });
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    console.log(`port ${typeof address === 'object' && address ? address.port : 0}`);
  });
  process.once('SIGTERM', () => {
    server.close();
    void runtime.close().then(() => process.exit(0));
  });
} else {
  await measure();
}

async function measure() {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-timing-'));
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!], {
    env: { ...process.env, TIMING_SERVER_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /port (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`timing server exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;

  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  await post('/api/auth/signup', { email: 'known@example.com', password: 'correct horse battery' });

  async function time(path: string, body: unknown, expected: number): Promise<number> {
    const start = process.hrtime.bigint();
    const res = await post(path, body);
    await res.arrayBuffer();
    if (res.status !== expected) throw new Error(`${path}: expected ${expected}, got ${res.status}`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  }

  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };

  /**
   * A pause after each request, so the work `forgot` does after answering (for a known address:
   * the link and the mail, ~1 ms) is over before the next request: what is measured is each
   * request's own answer, as its sender sees it. (Back to back, that work delays the next
   * request instead; docs/security.md says what that leaves.)
   */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

  /** `rounds` alternating pairs after a warm-up; prints both medians and unknown/known. */
  async function compare(
    name: string,
    path: string,
    expected: number,
    knownBody: (i: number) => unknown,
    unknownBody: (i: number) => unknown,
  ) {
    for (let i = 0; i < 10; i += 1) {
      await time(path, knownBody(-1 - i), expected);
      await time(path, unknownBody(-1 - i), expected);
    }
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < rounds; i += 1) {
      known.push(await time(path, knownBody(i), expected));
      await settle();
      unknown.push(await time(path, unknownBody(i), expected));
      await settle();
    }
    const mKnown = median(known);
    const mUnknown = median(unknown);
    console.log(`${name} over ${rounds} rounds each`);
    console.log(`  known address:   median ${mKnown.toFixed(2)} ms`);
    console.log(`  unknown address: median ${mUnknown.toFixed(2)} ms`);
    console.log(`  ratio unknown/known: ${(mUnknown / mKnown).toFixed(3)} (1.000 = indistinguishable)`);
  }

  await compare(
    'login (wrong password)',
    '/api/auth/login',
    401,
    (i) => ({ email: 'known@example.com', password: `wrong password ${i}` }),
    (i) => ({ email: `nobody-${i}@example.com`, password: `wrong password ${i}` }),
  );
  await compare(
    'POST /api/auth/password/forgot',
    '/api/auth/password/forgot',
    202,
    () => ({ email: 'known@example.com' }),
    (i) => ({ email: `nobody-forgot-${i}@example.com` }),
  );
  // known@example.com signed up and never verified: each request issues a new link and a mail.
  await compare(
    'POST /api/auth/email/verify/request',
    '/api/auth/email/verify/request',
    202,
    () => ({ email: 'known@example.com' }),
    (i) => ({ email: `nobody-verify-${i}@example.com` }),
  );

  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
