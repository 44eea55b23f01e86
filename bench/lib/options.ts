/** What a run measures and for how long, from BENCH_* environment variables. */
export interface BenchOptions {
  quick: boolean;
  /** Seconds per measured scenario (BENCH_DURATION; 2 in quick mode). */
  seconds: number;
  /** Seconds of unmeasured load before each scenario, so the JIT and caches are warm. */
  warmupSeconds: number;
  connections: number;
  /**
   * BENCH_ROUNDS: core's rounds (open, protected, refresh and the seed stack) and the resource-server
   * variants run this many times, alternately (3; 1 in quick mode). Rows show the best round;
   * ratios are the median of round-by-round ratios (Report.pairedRatio).
   */
  rounds: number;
  /** Distinct access tokens for protected-many-tokens and the resource servers' many-tokens runs. */
  manyTokens: number;
  /** Users (each with one session and refresh token) seeded for each scale step. */
  scaleSizes: number[];
  /** BENCH_DATABASE_URL: a PostgreSQL server where the bench may CREATE DATABASE. */
  databaseUrl: string | undefined;
  /** BENCH_ONLY: a comma-separated subset of GROUPS; all by default. */
  groups: Set<Group>;
}

// The seed stack runs inside core, in the same rounds as the scenarios it is compared with.
export const GROUPS = ['core', 'hs256', 'resource-server', 'scale', 'postgres'] as const;
export type Group = (typeof GROUPS)[number];

export function readOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const seconds = env.BENCH_DURATION ? Number(env.BENCH_DURATION) : quick ? 2 : 10;
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error('BENCH_DURATION must be a positive number of seconds');
  const only = env.BENCH_ONLY?.split(',')
    .map((group) => group.trim())
    .filter(Boolean);
  for (const group of only ?? []) {
    if (!(GROUPS as readonly string[]).includes(group)) throw new Error(`BENCH_ONLY: unknown group "${group}" (${GROUPS.join(', ')})`);
  }
  return {
    quick,
    seconds,
    warmupSeconds: quick ? 1 : 2,
    connections: 10,
    rounds: env.BENCH_ROUNDS ? Math.max(1, Number(env.BENCH_ROUNDS)) : quick ? 1 : 3,
    manyTokens: 10_000,
    scaleSizes: quick ? [1_000, 10_000, 50_000] : [1_000, 100_000, 1_000_000],
    databaseUrl: env.BENCH_DATABASE_URL || undefined,
    groups: new Set((only ?? GROUPS) as Group[]),
  };
}
