import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { BenchOptions } from './options.ts';
import type { LoadResult } from './load.ts';
import { ROOT, type CpuUse } from './processes.ts';

export interface ScenarioRow extends LoadResult {
  name: string;
  /** Busy cores during the measurement (absent for a load measured alongside another). */
  cpu?: CpuUse;
}

export interface Check {
  what: string;
  value: number | undefined;
  unit: string;
  target: string;
  pass: boolean | undefined;
}

const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);

export const mib = (bytes: number | undefined): number | undefined => (bytes === undefined ? undefined : bytes / 2 ** 20);

function table(headers: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Everything a run measured; printed as tables and written to bench/results/latest.json. */
export class Report {
  readonly scenarios: ScenarioRow[] = [];
  readonly seeding: Record<string, { seconds: number; detail: string }> = {};
  readonly state: Record<string, Record<string, number | undefined>> = {};
  readonly notes: string[] = [];
  /** Summary tables a group adds (the resource-server comparison), printed after the scenarios. */
  readonly tables: { title: string; headers: string[]; rows: string[][] }[] = [];
  checks: Check[] = [];

  constructor(private readonly options: BenchOptions) {}

  private readonly rounds: Record<string, number> = {};
  /** req/s of every round of a scenario, in order, for ratios taken round by round (pairedRatio). */
  readonly perRound: Record<string, number[]> = {};

  /**
   * The median over rounds of a/b, each round's a divided by the same round's b. This machine's
   * speed drifts by up to 2x within seconds (the same process, loaded again and again, measured
   * 3,200 to 6,600 req/s): two scenarios measured back to back see about the same machine, so
   * their quotient is steadier than the quotient of two bests that may come from different moments.
   */
  pairedRatio(a: string, b: string): { median: number; min: number; max: number } | undefined {
    const [as, bs] = [this.perRound[a] ?? [], this.perRound[b] ?? []];
    const ratios = as.slice(0, Math.min(as.length, bs.length)).map((value, i) => value / bs[i]!);
    if (ratios.length === 0) return undefined;
    const sorted = [...ratios].sort((x, y) => x - y);
    const middle = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
    return { median, min: sorted[0]!, max: sorted.at(-1)! };
  }

  /** Adds a row; a second run of the same scenario keeps the faster of the two (best of N rounds). */
  add(row: ScenarioRow): void {
    (this.perRound[row.name] ??= []).push(row.rps);
    const index = this.scenarios.findIndex((existing) => existing.name === row.name);
    if (index >= 0) {
      if (row.rps > this.scenarios[index]!.rps) this.scenarios[index] = row;
      console.log(
        `  ${row.name.padEnd(36)} ${String(Math.round(row.rps)).padStart(5)} req/s (round ${++this.rounds[row.name]!}; best kept)`,
      );
      return;
    }
    this.rounds[row.name] = 1;
    this.scenarios.push(row);
    const codes = Object.entries(row.statusCodes).filter(([code]) => !code.startsWith('2'));
    const odd = codes.length ? ` status ${codes.map(([code, count]) => `${code}×${count}`).join(' ')}` : '';
    console.log(
      `  ${row.name.padEnd(34)} ${fixed(row.rps, 0).padStart(7)} req/s  p50 ${fixed(row.p50, 2)} ms  p99 ${fixed(row.p99, 2)} ms` +
        `  cpu ${fixed(row.cpu?.server, 2)}/${fixed(row.cpu?.bench, 2)}/${fixed(row.cpu?.other, 2)}${row.errors ? `  errors ${row.errors}` : ''}${odd}`,
    );
  }

  get(name: string): ScenarioRow | undefined {
    return this.scenarios.find((row) => row.name === name);
  }

  seeded(name: string, seconds: number, detail: string): void {
    this.seeding[name] = { seconds, detail };
    console.log(`  seeded ${name}: ${detail} in ${seconds.toFixed(1)} s`);
  }

  print(): void {
    console.log(
      '\n== Scenarios (10 connections unless noted; latency of 2xx responses; cpu = busy cores: the server, autocannon, anything else)\n',
    );
    console.log(
      table(
        ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'cpu server', 'cpu bench', 'cpu other'],
        this.scenarios.map((row) => [
          row.name,
          fixed(row.rps, 0),
          fixed(row.p50, 2),
          fixed(row.p99, 2),
          fixed(row.max, 1),
          String(row.non2xx),
          String(row.errors),
          fixed(row.cpu?.server, 2),
          fixed(row.cpu?.bench, 2),
          fixed(row.cpu?.other, 2),
        ]),
        new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]),
      ),
    );
    for (const { title, headers, rows } of this.tables) {
      console.log(`\n== ${title}\n`);
      console.log(table(headers, rows, new Set(headers.map((_, i) => i).slice(1))));
    }
    if (Object.keys(this.seeding).length) {
      console.log('\n== Seeding\n');
      console.log(
        table(
          ['what', 'seconds', 'detail'],
          Object.entries(this.seeding).map(([name, { seconds, detail }]) => [name, seconds.toFixed(1), detail]),
          new Set([1]),
        ),
      );
    }
    if (Object.keys(this.state).length) {
      console.log('\n== Server state (GET /metrics; "all processes" = the server and its workers, from /proc, without the tsx wrapper)\n');
      const keys = [...new Set(Object.values(this.state).flatMap((values) => Object.keys(values)))];
      console.log(
        table(
          ['when', ...keys],
          Object.entries(this.state).map(([when, values]) => [when, ...keys.map((key) => fixed(values[key], key.endsWith('MiB') ? 1 : 0))]),
          new Set(keys.map((_, i) => i + 1)),
        ),
      );
    }
    console.log('\n== Ratios and targets\n');
    console.log(
      table(
        ['', 'value', 'target'],
        this.checks.map((check) => [
          `${check.pass === undefined ? '    ' : check.pass ? 'PASS' : 'FAIL'}  ${check.what}`,
          `${fixed(check.value, check.unit === 'x' ? 2 : check.unit === 'ms' ? 2 : 0)}${check.unit === 'x' ? 'x' : ` ${check.unit}`}`,
          check.target,
        ]),
        new Set([1]),
      ),
    );
    for (const note of this.notes) console.log(`\nnote: ${note}`);
  }

  write(): string {
    const file = resolve(ROOT, 'bench/results/latest.json');
    mkdirSync(resolve(ROOT, 'bench/results'), { recursive: true });
    const document = {
      date: new Date().toISOString(),
      commit: git(['rev-parse', 'HEAD']),
      dirty: git(['status', '--porcelain', '--', 'src']) !== '',
      node: process.version,
      cpus: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      options: { ...this.options, groups: [...this.options.groups], databaseUrl: this.options.databaseUrl ? 'set' : undefined },
      scenarios: this.scenarios,
      seeding: this.seeding,
      state: this.state,
      tables: this.tables,
      perRound: this.perRound,
      checks: this.checks,
      notes: this.notes,
    };
    writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
    return file;
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
