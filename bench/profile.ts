/**
 * Where a scenario's server CPU goes: starts the compiled server with --cpu-prof, loads one
 * scenario for a while, stops the server and prints the heaviest functions and packages.
 *
 *   npm run bench:profile -- open|protected|refresh|login [seconds]
 *   BENCH_DATABASE_URL=postgres://… npm run bench:profile -- refresh   (on a fresh database there)
 *
 * The .cpuprofile is kept in bench/results/ (open it in Chrome DevTools for the call tree).
 */
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startLoad, type LoadSpec } from './lib/load.ts';
import { freePort, newSecret, ROOT, startServer } from './lib/processes.ts';
import * as scenarios from './lib/scenarios.ts';
import { login, loginMany, signUp } from './lib/seed.ts';
import { summarizeProfile } from './lib/cpu-profile.ts';

const SCENARIOS = ['open', 'protected', 'refresh', 'login'] as const;
type Scenario = (typeof SCENARIOS)[number];
const which = (process.argv[2] ?? 'open') as Scenario;
if (!SCENARIOS.includes(which)) throw new Error(`scenario: one of ${SCENARIOS.join(', ')}`);
const seconds = Number(process.argv[3] ?? 10);

const work = mkdtempSync(join(tmpdir(), 'tessera-profile-'));
const adminUrl = process.env.BENCH_DATABASE_URL;
let databaseUrl = `sqlite:${join(work, 'profile.db')}`;
let dropDatabase = async () => {};
if (adminUrl) {
  const name = `tessera_profile_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  dropDatabase = async () => {
    const again = new pg.Client({ connectionString: adminUrl });
    await again.connect();
    await again.query(`drop database if exists ${name} with (force)`);
    await again.end();
  };
}

execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
const server = await startServer({
  name: 'tessera-profile',
  script: 'dist/server.js',
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${work}`],
  cwd: work,
  port: await freePort(),
  readyText: 'tessera listening',
  env: {
    NODE_ENV: 'production',
    APP_URL: 'https://auth.example.com',
    JWT_REFRESH_SECRET: newSecret(),
    KEY_ENCRYPTION_SECRET: newSecret(),
    DATA_DIR: work,
    DATABASE_URL: databaseUrl,
    COOKIE_SECURE: 'false',
    LOG_LEVEL: 'info',
    RATE_LIMIT_IP_MAX: '100000000',
    RATE_LIMIT_ACCOUNT_MAX: '1000000',
  },
});
let profilePath: string | undefined;
try {
  const base = { url: server.url, connections: 10, seconds };
  const emails = await signUp(server.url, 'profile', 20);
  const build = async (): Promise<LoadSpec> => {
    if (which === 'open') return scenarios.open(base);
    if (which === 'login') return scenarios.login(base, emails);
    if (which === 'protected') return scenarios.protectedRoute(base, (await login(server.url, emails[0]!)).accessToken);
    return scenarios.refresh(
      base,
      (await loginMany(server.url, emails, 20)).map((pair) => pair.refreshToken),
    ).spec;
  };
  const result = await startLoad(await build()).result;
  console.log(
    `${which}: ${Math.round(result.rps)} req/s, p99 ${result.p99.toFixed(2)} ms, ${result.non2xx} non-2xx, ${result.errors} errors`,
  );
} finally {
  await server.stop();
  const file = readdirSync(work).find((name) => name.endsWith('.cpuprofile'));
  if (file) {
    profilePath = join(ROOT, 'bench/results', `profile-${which}.cpuprofile`);
    renameSync(join(work, file), profilePath);
  }
  rmSync(work, { recursive: true, force: true });
  await dropDatabase();
}
if (!profilePath) throw new Error('the server wrote no profile');
console.log(summarizeProfile(JSON.parse(readFileSync(profilePath, 'utf8')), { root: ROOT }));
console.log(`\nprofile: ${profilePath}`);
