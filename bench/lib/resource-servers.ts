/**
 * The resource-server group's variants: bench/resource-server.ts behind each authentication
 * stack, in a process of its own (a fresh one for every measurement, see bench/run.ts), trusting
 * one Tessera server's JWKS; the probes that prove a stack verifies before it is measured, and
 * the summary table and checks.
 */
import type { LoadSpec } from './load.ts';
import { freePort, startServer, type ServerProcess } from './processes.ts';
import type { Check, ScenarioRow } from './report.ts';
import * as scenarios from './scenarios.ts';
import type { Stack } from './stacks.ts';

/** The route every resource server answers. */
export const PATH = '/r';

export interface Variant {
  /** The row name in the report; 'bare' is the baseline the ratios divide by. */
  name: string;
  stack: Stack;
  /** Merged into the stack's own options in its process (RS_OPTIONS, JSON). */
  options?: Record<string, unknown>;
}

/** The peers requireAuth is compared with. */
export const PEERS = ['express-jwt', 'express-oauth2-jwt-bearer', 'passport-jwt'] as const;

/** A service client of the bench's Tessera, for requireAuth's `revocations` option. */
export interface Feed {
  url: string;
  clientId: string;
  clientSecret: string;
}

/**
 * Every variant measured, in the order they run in each round: with a feed, requireAuth also runs
 * subscribed to the revocation feed (its stream open, the revocation set checked on every request).
 */
export const variants = (feed?: Feed): Variant[] => [
  { name: 'bare', stack: 'bare' },
  { name: 'requireAuth', stack: 'requireAuth' },
  ...(feed ? [{ name: 'requireAuth + feed', stack: 'requireAuth' as const, options: { revocations: feed } }] : []),
  ...PEERS.map((stack) => ({ name: stack, stack })),
];

/** The auth server the resource servers trust: its URL, and the `iss` and `aud` of its tokens. */
export interface Tessera {
  url: string;
  issuer: string;
  audience: string;
}

/** `iss` and `aud` as one of the server's tokens carries them (unverified: the stacks check them). */
export function issuerOf(token: string): { issuer: string; audience: string } {
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iss: string; aud: string | string[] };
  return { issuer: claims.iss, audience: Array.isArray(claims.aud) ? claims.aud[0]! : claims.aud };
}

export function startResourceServer(variant: Variant, tessera: Tessera, cwd: string): Promise<ServerProcess> {
  return freePort().then((port) =>
    startServer({
      name: `resource-server ${variant.name}`,
      script: 'bench/resource-server.ts',
      cwd,
      port,
      readyText: 'resource-server listening',
      env: {
        NODE_ENV: 'production',
        RS_STACK: variant.stack,
        RS_OPTIONS: JSON.stringify(variant.options ?? {}),
        JWKS_URL: `${tessera.url}/.well-known/jwks.json`,
        JWT_ISSUER: tessera.issuer,
        JWT_AUDIENCE: tessera.audience,
      },
    }),
  );
}

/** The same token with its signature's first character changed: well-formed, wrongly signed. */
function tampered(token: string): string {
  const dot = token.lastIndexOf('.') + 1;
  return `${token.slice(0, dot)}${token[dot] === 'A' ? 'B' : 'A'}${token.slice(dot + 1)}`;
}

/**
 * Before a process is measured: a protected stack answers 200 with bare's body to valid tokens
 * (the first, second and last of the pool) and 401 to no token, a garbage token and a wrongly
 * signed one, so a misconfigured stack cannot look fast; bare answers 200. Sequential, so the
 * first request has fetched the JWKS before the load starts. Returns the body of the 200.
 */
export async function verifyStack(variant: Variant, server: ServerProcess, tokens: string[], bareBody?: string): Promise<string> {
  const get = async (token: string | undefined) => {
    const response = await fetch(`${server.url}${PATH}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: await response.text() };
  };
  let answer = '';
  for (const token of [tokens[0]!, tokens[1]!, tokens.at(-1)!]) {
    const { status, body } = await get(token);
    if (status !== 200 || (bareBody !== undefined && body !== bareBody)) {
      throw new Error(`${variant.name} answered ${status} ${body.slice(0, 200)} to a valid token (expected 200 ${bareBody ?? ''})`);
    }
    answer = body;
  }
  if (variant.stack === 'bare') return answer;
  const refused = { 'no token': undefined, 'a garbage token': 'garbage', 'a wrongly signed token': tampered(tokens[0]!) };
  for (const [what, token] of Object.entries(refused)) {
    const { status, body } = await get(token);
    if (status !== 401) throw new Error(`${variant.name} answered ${status} ${body.slice(0, 200)} to ${what} (expected 401)`);
  }
  return answer;
}

/** What verifyStack checked, for the log. */
export const verified = (variant: Variant): string =>
  variant.stack === 'bare'
    ? '200 (checked before each measurement)'
    : "200 and bare's body to valid tokens, 401 to none, garbage and a wrong signature (checked before each measurement)";

const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);

type Base = Pick<LoadSpec, 'url' | 'connections' | 'seconds'>;

export interface Mode {
  /** The column group's heading ('1 token', '10k tokens'). */
  label: string;
  /** The report's row name of a variant in this mode. */
  row(variant: Variant): string;
  load(base: Base, tokens: string[]): LoadSpec;
  /** Send every token once before the warm-up, so a verification cache starts full (as core's first pass). */
  firstPass: boolean;
}

/** One token on every request, and every token of the pool in turn (`manyLabel`: '10k'). */
export const modes = (manyLabel: string): Mode[] => [
  {
    label: '1 token',
    row: (variant) => `resource-server: ${variant.name}`,
    load: (base, tokens) => scenarios.protectedRoute(base, tokens[0]!, PATH),
    firstPass: false,
  },
  {
    label: `${manyLabel} tokens`,
    row: (variant) => `resource-server ${manyLabel} tokens: ${variant.name}`,
    load: (base, tokens) => scenarios.protectedManyTokens(base, tokens, PATH),
    firstPass: true,
  },
];

/** One line per variant: req/s, p50, p99 and the ratio to bare, for each mode. */
export function summary(
  list: Variant[],
  modes: Mode[],
  get: (name: string) => ScenarioRow | undefined,
): { headers: string[]; rows: string[][] } {
  const bare = list.find((variant) => variant.stack === 'bare');
  const headers = ['stack', ...modes.flatMap((mode) => [`${mode.label} req/s`, 'p50 ms', 'p99 ms', 'x bare'])];
  const rows = list.map((variant) => [
    variant.name,
    ...modes.flatMap((mode) => {
      const row = get(mode.row(variant));
      const base = bare ? get(mode.row(bare)) : undefined;
      return [fixed(row?.rps, 0), fixed(row?.p50, 2), fixed(row?.p99, 2), fixed(row && base ? row.rps / base.rps : undefined, 2)];
    }),
  ]);
  return { headers, rows };
}

/**
 * `≥ 0.9× bare` and `ahead of the peers`, for each requireAuth variant (with and without the feed)
 * and mode: `paired(a, b)` is the median of the round-by-round ratios of two rows (Report.pairedRatio).
 */
export function checks(
  list: Variant[],
  modes: Mode[],
  get: (name: string) => ScenarioRow | undefined,
  paired: (a: string, b: string) => number | undefined,
): Check[] {
  const rowOf = (stack: Stack, mode: Mode) => {
    const variant = list.find((v) => v.stack === stack && v.options === undefined);
    return variant && get(mode.row(variant)) ? mode.row(variant) : undefined;
  };
  const ourVariants = list.filter((v) => v.stack === 'requireAuth');
  return modes.flatMap((mode) =>
    ourVariants.flatMap((variant) => {
      const ours = mode.row(variant);
      if (!get(ours)) return [];
      const bare = rowOf('bare', mode);
      const peers = PEERS.map((peer) => rowOf(peer, mode));
      const versus = (other: string | undefined) => (other === undefined ? undefined : paired(ours, other));
      const againstPeers = peers.map(versus);
      // Ahead of the fastest peer: the smallest of the ratios to each.
      const slowest = againstPeers.every((value) => value !== undefined) ? Math.min(...againstPeers) : undefined;
      const check = (what: string, value: number | undefined, target: string, ok: (v: number) => boolean): Check => ({
        what,
        value,
        unit: 'x',
        target,
        pass: value === undefined ? undefined : ok(value),
      });
      return [
        check(`resource-server ${mode.label}: ${variant.name} / bare`, versus(bare), '>= 0.9', (v) => v >= 0.9),
        check(`resource-server ${mode.label}: ${variant.name} ahead of ${PEERS.join(', ')} (/ fastest)`, slowest, '> 1', (v) => v > 1),
      ];
    }),
  );
}
