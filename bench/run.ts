/**
 * npm run bench: starts Tessera (and the tutorial's seed stack) in their own processes on
 * loopback, loads them with autocannon from this process, prints the tables and ratios and
 * writes bench/results/latest.json. BENCH_QUICK=1, BENCH_DURATION=<s>, BENCH_ONLY=<groups>,
 * BENCH_DATABASE_URL=postgres://… : see bench/lib/options.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { seedScale } from './lib/bulk-seed.ts';
import { startLoad, type LoadSpec } from './lib/load.ts';
import { readOptions, type Group } from './lib/options.ts';
import {
  cpuMeter,
  freePort,
  machineBusyCores,
  newSecret,
  readMetrics,
  ROOT,
  serverUsage,
  startServer,
  type ServerProcess,
} from './lib/processes.ts';
import { mib, Report, type Check } from './lib/report.ts';
import * as resourceServers from './lib/resource-servers.ts';
import * as scenarios from './lib/scenarios.ts';
import { collectAccessTokens, login, loginMany, signUp } from './lib/seed.ts';

const options = readOptions();
const report = new Report(options);
const work = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
const secrets = { refresh: newSecret(), keyEncryption: newSecret(), hmac: newSecret() };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Production does not serve /metrics without a token. */
const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789';

/** Tessera's environment in the bench (the server's, and the CLI's on the same database). */
const tesseraEnv = (databaseUrl: string): Record<string, string> => ({
  NODE_ENV: 'production',
  APP_URL: 'https://auth.example.com',
  JWT_REFRESH_SECRET: secrets.refresh,
  KEY_ENCRYPTION_SECRET: secrets.keyEncryption,
  DATA_DIR: work,
  DATABASE_URL: databaseUrl,
});

async function startTessera(name: string, databaseUrl: string, extra: Record<string, string> = {}): Promise<ServerProcess> {
  return startServer({
    name,
    // The compiled server, as production runs it (`npm start`); tsx would add ~65 MiB of RSS.
    script: 'dist/server.js',
    cwd: work,
    port: await freePort(),
    readyText: 'tessera listening',
    readyCount: Number(extra.TESSERA_WORKERS ?? 1),
    env: {
      ...tesseraEnv(databaseUrl),
      METRICS_TOKEN: BENCH_METRICS_TOKEN,
      COOKIE_SECURE: 'false',
      // info, as production runs: 'tessera listening' is an info line, and so is the request
      // log, one line per request, which every scenario pays for.
      LOG_LEVEL: 'info',
      RATE_LIMIT_IP_MAX: '100000000',
      RATE_LIMIT_ACCOUNT_MAX: '1000000',
      ...extra,
    },
  });
}

const baseFor = (server: ServerProcess) => ({ url: server.url, connections: options.connections, seconds: options.seconds });

/**
 * One scenario: an unmeasured warm-up (its own spec, so stateful specs start fresh), then the
 * measured run, with the server's CPU use over it. `during` runs once, part-way through.
 */
async function scenario(
  name: string,
  server: ServerProcess,
  build: () => LoadSpec | Promise<LoadSpec>,
  extra: { warmup?: boolean; quiet?: boolean; during?: () => Promise<void> } = {},
): Promise<void> {
  if (extra.quiet !== false) await quiet(name);
  if (extra.warmup !== false && options.warmupSeconds > 0) {
    await startLoad({ ...(await build()), seconds: options.warmupSeconds }).result;
  }
  const spec = await build();
  const cpu = cpuMeter(server);
  const probe = extra.during ? sleep(spec.seconds * 750).then(extra.during) : undefined;
  const result = await startLoad(spec).result;
  const use = cpu();
  await probe;
  report.add({ name, ...result, cpu: use });
}

/** Rotation throughput; `sessions()` hands out fresh refresh tokens (twice the connections) for each run. */
async function refreshScenario(name: string, server: ServerProcess, sessions: () => Promise<string[]>): Promise<void> {
  const pools: ReturnType<typeof scenarios.refresh>[] = [];
  await scenario(name, server, async () => {
    pools.push(scenarios.refresh(baseFor(server), await sessions()));
    return pools.at(-1)!.spec;
  });
  const starved = pools.reduce((sum, pool) => sum + pool.starved(), 0);
  if (starved) report.notes.push(`${name}: the refresh-token pool ran dry ${starved} times (lost sessions)`);
}

async function snapshot(server: ServerProcess): Promise<Record<string, number | undefined>> {
  const metrics = await readMetrics(server.url, BENCH_METRICS_TOKEN);
  return {
    'rss MiB': mib(metrics.process_resident_memory_bytes),
    'all processes rss MiB': mib(serverUsage(server).rssBytes),
    'heap used MiB': mib(metrics.nodejs_heap_size_used_bytes),
    'revocation index': metrics.tessera_revocation_index_entries,
    'verify cache': metrics.tessera_verify_cache_entries,
  };
}

/** The tutorial's Express + jsonwebtoken stack (bench/seed-stack.ts), with a token it signs itself. */
async function startSeedStack(): Promise<{ server: ServerProcess; accessToken: string }> {
  const server = await startServer({
    name: 'seed-stack',
    script: 'bench/seed-stack.ts',
    cwd: work,
    port: await freePort(),
    readyText: 'seed-stack listening',
    env: { NODE_ENV: 'production', SEED_STACK_SECRET: secrets.hmac },
  });
  const response = await fetch(`${server.url}/api/login`, { method: 'POST' });
  return { server, accessToken: ((await response.json()) as { accessToken: string }).accessToken };
}

/**
 * open, protected, refresh, and the seed stack's open and protected routes, round after round
 * (the ratios between them are taken round by round: see Report.pairedRatio); then
 * protected-many-tokens, login, login-storm. ES256 on SQLite.
 */
async function core(): Promise<void> {
  console.log('\n# Tessera (ES256, SQLite) and the seed stack (Express 5 + jsonwebtoken HS256), side by side');
  const server = await startTessera('tessera', `sqlite:${join(work, 'bench.db')}`);
  let seed: Awaited<ReturnType<typeof startSeedStack>> | undefined;
  try {
    seed = await startSeedStack();
    const base = baseFor(server);
    const seedBase = baseFor(seed.server);
    const emails = await signUp(server.url, 'core', 20);
    const { accessToken } = await login(server.url, emails[0]!);
    const sessions = async () => (await loginMany(server.url, emails, 2 * options.connections)).map((pair) => pair.refreshToken);
    for (let round = 0; round < options.rounds; round += 1) {
      await scenario('open', server, () => scenarios.open(base));
      await scenario('protected', server, () => scenarios.protectedRoute(base, accessToken));
      await refreshScenario('refresh', server, sessions);
      await scenario('seed-stack: open', seed.server, () => scenarios.open(seedBase));
      await scenario('seed-stack: protected (KeyObject)', seed.server, () =>
        scenarios.protectedRoute(seedBase, seed!.accessToken, '/api/protected-keyobject'),
      );
      await scenario('seed-stack: protected', seed.server, () => scenarios.protectedRoute(seedBase, seed!.accessToken));
    }
    await seed.server.stop();

    const many = await collectAccessTokens(server.url, emails, options.manyTokens);
    report.seeded(
      'protected-many-tokens',
      many.seconds,
      `${many.tokens.length} distinct access tokens: ${many.logins} logins + ${many.refreshes} refreshes`,
    );
    // Every token once, all verified for the first time (the cache has none of them); then the
    // measured rotation, where all 10,000 fit in the verification cache (VERIFY_CACHE_SIZE).
    await scenario(
      'protected-many-tokens: first pass',
      server,
      () => ({
        ...scenarios.protectedManyTokens(base, many.tokens),
        amount: many.tokens.length,
      }),
      { warmup: false },
    );
    // Paired with an open run just before it, as the rounds above are.
    await scenario('open (before many tokens)', server, () => scenarios.open(base));
    await scenario('protected-many-tokens', server, () => scenarios.protectedManyTokens(base, many.tokens));
    report.state['after protected-many-tokens'] = await snapshot(server);

    await scenario('login', server, () => scenarios.login(base, emails));

    // 50 connections logging in for the whole measurement, while protected is measured.
    const storm = startLoad({ ...scenarios.login(base, emails), connections: 50, seconds: options.seconds + 60 });
    await sleep(1000);
    await scenario('login-storm: protected', server, () => scenarios.protectedRoute(base, accessToken), { warmup: false, quiet: false });
    storm.stop();
    report.add({ name: 'login-storm: logins (50 conns)', ...(await storm.result) });
    report.state['core, at the end'] = await snapshot(server);
  } finally {
    await seed?.server.stop();
    await server.stop();
  }
}

/** protected with an HS256 server (JWT_SECRET). */
async function hs256(): Promise<void> {
  console.log('\n# Tessera, HS256, SQLite');
  const server = await startTessera('tessera-hs256', `sqlite:${join(work, 'bench-hs256.db')}`, { JWT_SECRET: secrets.hmac });
  try {
    const [address] = await signUp(server.url, 'hs', 1);
    const { accessToken } = await login(server.url, address!);
    await scenario('protected-hs256', server, () => scenarios.protectedRoute(baseFor(server), accessToken));
  } finally {
    await server.stop();
  }
}

/**
 * GET /r on bare Express 5 and behind requireAuth and its peers, all trusting one ES256 Tessera
 * server's JWKS, with one token and with 10,000 in rotation. The variants run interleaved, round
 * after round, and the best round of each is kept (as for open/protected).
 *
 * Every measurement gets a fresh process, started, checked and loaded at once: under this load
 * V8 settles a process in one of two heap states, and a process left idle between loads (or
 * loaded over several rounds) sometimes lands in one that runs Express at about half the CPU per
 * request, whatever the stack. One process per variant for the whole run made requireAuth look
 * 1.7x as fast as bare Express; a fresh process each time gives every stack the same history.
 */
/** The resource-server group's variants, for its checks (the feed variant needs the client made at run time). */
let rsVariants: resourceServers.Variant[] = [];

/** A service client for the feed variant, made with the CLI as an operator would (`tessera client create`). */
async function createFeedClient(tessera: ServerProcess): Promise<resourceServers.Feed> {
  const output = execFileSync(process.execPath, [join(ROOT, 'bin/tessera.js'), 'client', 'create', '--name', 'bench'], {
    cwd: work,
    env: { ...process.env, ...tesseraEnv(`sqlite:${join(work, 'bench-rs.db')}`) },
    encoding: 'utf8',
  });
  const field = (name: string) => new RegExp(`^${name}: (\\S+)$`, 'm').exec(output)?.[1] ?? '';
  return { url: `${tessera.url}/api/revocations`, clientId: field('client_id'), clientSecret: field('client_secret') };
}

async function resourceServerGroup(): Promise<void> {
  console.log('\n# resource servers (Express 5, ES256 tokens verified through the JWKS)');
  // An hour, not 15 minutes: every token must outlive all rounds (BENCH_ROUNDS=5 takes ~15 min).
  const tessera = await startTessera('tessera-rs', `sqlite:${join(work, 'bench-rs.db')}`, { JWT_EXPIRES_IN: '1h' });
  try {
    const emails = await signUp(tessera.url, 'rs', 20);
    const many = await collectAccessTokens(tessera.url, emails, options.manyTokens);
    report.seeded(
      'resource-server tokens',
      many.seconds,
      `${many.tokens.length} distinct access tokens: ${many.logins} logins + ${many.refreshes} refreshes`,
    );
    const trusted = { url: tessera.url, ...resourceServers.issuerOf(many.tokens[0]!) };
    const variants = (rsVariants = resourceServers.variants(await createFeedClient(tessera)));
    const modes = resourceServers.modes(sizeLabel(options.manyTokens));
    const checked = new Set<resourceServers.Variant>();
    let bareBody: string | undefined;
    for (let round = 0; round < options.rounds; round += 1) {
      for (const mode of modes) {
        for (const variant of variants) {
          const name = mode.row(variant);
          await quiet(name);
          const server = await resourceServers.startResourceServer(variant, trusted, work);
          try {
            // Before any load: 200 and bare's body to valid tokens, 401 to bad ones.
            const body = await resourceServers.verifyStack(variant, server, many.tokens, bareBody);
            if (variant.stack === 'bare') bareBody ??= body;
            if (!checked.has(variant)) console.log(`  ${variant.name}: ${resourceServers.verified(variant)}`);
            checked.add(variant);
            if (mode.firstPass) await startLoad({ ...mode.load(baseFor(server), many.tokens), amount: many.tokens.length }).result;
            await scenario(name, server, () => mode.load(baseFor(server), many.tokens), { quiet: false });
          } finally {
            await server.stop();
          }
        }
      }
    }
    const title = `Resource servers (GET /r, Express 5, ES256, 10 connections; best of ${options.rounds} round(s); x bare = req/s / bare's)`;
    report.tables.push({ title, ...resourceServers.summary(variants, modes, (name) => report.get(name)) });
    for (const mode of modes) {
      const bare = report.get(mode.row(variants.find((variant) => variant.stack === 'bare')!));
      for (const variant of variants) {
        const row = report.get(mode.row(variant));
        if (row && (row.non2xx || row.errors)) report.notes.push(`${row.name}: ${row.non2xx} non-2xx, ${row.errors} errors`);
        // Authentication cannot make the same route cheaper: such a row measured the heap state
        // its process landed in (see above), not the stack.
        if (row && bare && variant.stack !== 'bare' && row.rps > 1.1 * bare.rps) {
          report.notes.push(`${row.name}: ${(row.rps / bare.rps).toFixed(2)}x bare, a heap state of its process rather than the stack`);
        }
      }
    }
  } finally {
    await tessera.stop();
  }
}

const sizeLabel = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1_000 ? `${n / 1_000}k` : String(n));

/** protected and refresh with N users/sessions bulk-seeded into SQLite before start. */
async function scale(): Promise<void> {
  for (const size of options.scaleSizes) {
    const label = sizeLabel(size);
    console.log(`\n# scale ${label} (SQLite)`);
    const path = join(work, `scale-${label}.db`);
    const seed = await seedScale(path, {
      users: size,
      prefix: `s${label}-`,
      mint: 4 * options.connections,
      refreshSecret: secrets.refresh,
      issuer: tesseraEnv('').APP_URL, // JWT_ISSUER's default: the server's APP_URL
    });
    report.seeded(`scale ${label}`, seed.seconds, `${size} users, sessions and refresh tokens (bulk, better-sqlite3)`);
    const server = await startTessera(`tessera-${label}`, `sqlite:${path}`);
    try {
      const { accessToken } = await login(server.url, seed.email(Math.floor(Math.random() * size)));
      await scenario(`scale ${label}: protected`, server, () => scenarios.protectedRoute(baseFor(server), accessToken), {
        during: async () => {
          report.state[`scale ${label}, under protected load`] = await snapshot(server);
        },
      });
      const tokens = [...seed.refreshTokens];
      await refreshScenario(`scale ${label}: refresh`, server, async () => tokens.splice(0, 2 * options.connections));
    } finally {
      await server.stop();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    }
  }
}

/** open, protected, refresh on PostgreSQL, with one process and with TESSERA_WORKERS=2. */
async function postgres(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const name = `tessera_bench_${process.pid}_${Date.now()}`;
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    for (const workers of [1, 2]) {
      const label = workers === 1 ? 'pg' : `pg ${workers} workers`;
      console.log(`\n# Tessera, ES256, PostgreSQL, TESSERA_WORKERS=${workers}`);
      const server = await startTessera(`tessera-${label}`, url.toString(), { TESSERA_WORKERS: String(workers) });
      try {
        const emails = await signUp(server.url, `pg${workers}-`, 20);
        const { accessToken } = await login(server.url, emails[0]!);
        await scenario(`${label}: open`, server, () => scenarios.open(baseFor(server)));
        await scenario(`${label}: protected`, server, () => scenarios.protectedRoute(baseFor(server), accessToken));
        const sessions = async () => (await loginMany(server.url, emails, 2 * options.connections)).map((pair) => pair.refreshToken);
        await refreshScenario(`${label}: refresh`, server, sessions);
        report.state[label] = await snapshot(server);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** Waits (up to 2 minutes) until nothing else keeps the machine busy: 2 cores leave no room for noise. */
async function quiet(name: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  let waited = false;
  while ((await machineBusyCores(500)) > 0.3) {
    if (!waited) console.log(`  (waiting for the machine to go quiet before ${name})`);
    waited = true;
    if (Date.now() > deadline) {
      report.notes.push(`${name}: started although the machine was still busy after 2 minutes`);
      return;
    }
  }
}

function checks(): Check[] {
  const rps = (name: string) => report.get(name)?.rps;
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a / b);
  // Scenarios measured in the same rounds: the median of their round-by-round ratios.
  const paired = (a: string, b: string) => report.pairedRatio(a, b)?.median;
  const check = (what: string, value: number | undefined, unit: string, target: string, ok?: (v: number) => boolean): Check => ({
    what,
    value,
    unit,
    target,
    pass: value === undefined || !ok ? undefined : ok(value),
  });
  const [small, large] = [options.scaleSizes[0]!, options.scaleSizes.at(-1)!].map(sizeLabel);
  const pgLabel = 'pg 2 workers';
  return [
    check('protected / open', paired('protected', 'open'), 'x', '>= 0.9', (v) => v >= 0.9),
    check('protected-many-tokens / open', paired('protected-many-tokens', 'open (before many tokens)'), 'x', '>= 0.8', (v) => v >= 0.8),
    check('protected-hs256 / open', ratio(rps('protected-hs256'), rps('open')), 'x', '(info)'),
    check('Tessera protected / seed-stack protected', paired('protected', 'seed-stack: protected'), 'x', '>= 1.3', (v) => v >= 1.3),
    check('Tessera protected-hs256 / seed-stack protected', ratio(rps('protected-hs256'), rps('seed-stack: protected')), 'x', '(info)'),
    check(
      'Tessera protected / seed-stack protected (KeyObject)',
      paired('protected', 'seed-stack: protected (KeyObject)'),
      'x',
      '>= 1.05',
      (v) => v >= 1.05,
    ),
    check('Tessera open / seed-stack open', paired('open', 'seed-stack: open'), 'x', '>= 0.95', (v) => v >= 0.95),
    check('seed-stack protected / seed-stack open', paired('seed-stack: protected', 'seed-stack: open'), 'x', '(info)'),
    check('refresh', rps('refresh'), 'req/s', '>= 1000', (v) => v >= 1000),
    check('refresh / open', paired('refresh', 'open'), 'x', '>= 0.25', (v) => v >= 0.25),
    check('login', rps('login'), 'req/s', '(info)'),
    check('login-storm: protected p99', report.get('login-storm: protected')?.p99, 'ms', '< 10', (v) => v < 10),
    check(
      `scale protected ${large} / ${small}`,
      ratio(rps(`scale ${large}: protected`), rps(`scale ${small}: protected`)),
      'x',
      '>= 0.9 (within 10%)',
      (v) => v >= 0.9,
    ),
    check(
      `scale refresh ${large} / ${small}`,
      ratio(rps(`scale ${large}: refresh`), rps(`scale ${small}: refresh`)),
      'x',
      '>= 0.9 (within 10%)',
      (v) => v >= 0.9,
    ),
    check(
      `rss at ${large} under protected load`,
      report.state[`scale ${large}, under protected load`]?.['rss MiB'],
      'MiB',
      '< 200',
      (v) => v < 200,
    ),
    check('pg: protected / open', ratio(rps('pg: protected'), rps('pg: open')), 'x', '(info)'),
    check('pg: refresh', rps('pg: refresh'), 'req/s', '(info)'),
    check('pg: refresh / pg: open', ratio(rps('pg: refresh'), rps('pg: open')), 'x', '>= 0.2', (v) => v >= 0.2),
    check(`${pgLabel}: protected / pg protected`, ratio(rps(`${pgLabel}: protected`), rps('pg: protected')), 'x', '(info)'),
    check(`${pgLabel}: refresh / pg refresh`, ratio(rps(`${pgLabel}: refresh`), rps('pg: refresh')), 'x', '(info)'),
    ...resourceServers.checks(rsVariants, resourceServers.modes(sizeLabel(options.manyTokens)), (name) => report.get(name), paired),
  ].filter((c) => c.value !== undefined);
}

try {
  console.log(
    `tessera bench: ${options.quick ? 'quick, ' : ''}${options.seconds} s per scenario (+${options.warmupSeconds} s warm-up), ` +
      `${options.connections} connections, ${cpus().length} cpus, node ${process.version}; autocannon runs in this process`,
  );
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  const idle = await machineBusyCores(1000);
  if (idle > 0.25) {
    const warning = `the machine was already busy (${idle.toFixed(2)} cores) before the bench started: other processes skew the numbers (see "cpu other")`;
    report.notes.push(warning);
    console.log(`warning: ${warning}`);
  }
  const groups: Record<Group, () => Promise<void>> = {
    core,
    hs256,
    'resource-server': resourceServerGroup,
    scale,
    postgres: async () => {
      if (options.databaseUrl) return postgres(options.databaseUrl);
      console.log('\n# PostgreSQL skipped: set BENCH_DATABASE_URL=postgres://… (a server where the bench may CREATE DATABASE)');
    },
  };
  let failed = false;
  for (const [group, run] of Object.entries(groups)) {
    if (!options.groups.has(group as Group)) continue;
    // A failing group is reported, and the others still run.
    await run().catch((error: unknown) => {
      failed = true;
      console.error(`\n${group} failed:`, error);
      report.notes.push(`${group} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    });
  }
  if (failed) process.exitCode = 1;
  report.checks = checks();
  report.print();
  console.log(`\nwritten to ${report.write()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
