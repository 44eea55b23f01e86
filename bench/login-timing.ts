/**
 * Login timing for an unknown email against a wrong password for a known one: an
 * attacker must not be able to tell them apart. Alternates the two kinds of request
 * (so drift affects both alike) and prints the medians and their ratio.
 *
 *   npm run bench:login-timing            (BENCH_TIMING_ROUNDS=200 by default)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { openRuntime } from '../src/runtime.ts';

const rounds = Number(process.env.BENCH_TIMING_ROUNDS ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'tessera-timing-'));
const config = loadConfig({
  NODE_ENV: 'test',
  DATABASE_URL: `sqlite:${join(dir, 'timing.db')}`,
  RATE_LIMIT_ACCOUNT_MAX: '1000000',
  RATE_LIMIT_IP_MAX: '100000000',
});
const logger = pino({ level: 'silent' });
const runtime = await openRuntime(config, systemClock, logger);
const app = createApp({ config, ...runtime, clock: systemClock, logger });
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const address = server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

const post = (path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

await post('/api/auth/signup', { email: 'known@example.com', password: 'correct horse battery' });

async function time(body: unknown): Promise<number> {
  const start = process.hrtime.bigint();
  const res = await post('/api/auth/login', body);
  await res.arrayBuffer();
  if (res.status !== 401) throw new Error(`expected 401, got ${res.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

// Warm-up: JIT, the dummy hash, the connection.
for (let i = 0; i < 10; i += 1) {
  await time({ email: 'known@example.com', password: 'wrong password' });
  await time({ email: `nobody${i}@example.com`, password: 'wrong password' });
}

const known: number[] = [];
const unknown: number[] = [];
for (let i = 0; i < rounds; i += 1) {
  known.push(await time({ email: 'known@example.com', password: `wrong password ${i}` }));
  unknown.push(await time({ email: `nobody-${i}@example.com`, password: `wrong password ${i}` }));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const mKnown = median(known);
const mUnknown = median(unknown);
console.log(`login timing over ${rounds} rounds each`);
console.log(`  known email, wrong password: median ${mKnown.toFixed(2)} ms`);
console.log(`  unknown email:               median ${mUnknown.toFixed(2)} ms`);
console.log(`  ratio unknown/known: ${(mUnknown / mKnown).toFixed(3)} (1.000 = indistinguishable)`);

server.close();
await runtime.close();
rmSync(dir, { recursive: true, force: true });
