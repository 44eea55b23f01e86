import type { Response } from 'supertest';
import { expect } from 'vitest';

/** Text that must never reach a client: stack frames, SQL, driver or library names. */
export const LEAK_PATTERNS: RegExp[] = [
  /\bat \S.*\.ts:\d+/, // a stack frame ("at fn (/src/x.ts:12:3)")
  /\.ts:\d+:\d+/,
  /sqlite/i,
  /kysely/i,
  /Error:/,
  /\bselect /i,
  /better-sqlite3/i,
  /node_modules/,
];

/** The raw body text of a supertest response, whatever its content type. */
export const bodyText = (res: Response): string =>
  typeof res.text === 'string' ? res.text : Buffer.isBuffer(res.body) ? res.body.toString('utf8') : JSON.stringify(res.body ?? '');

export function expectNoLeak(res: Response): void {
  const text = bodyText(res);
  for (const pattern of LEAK_PATTERNS) {
    expect(text, `response ${res.status} leaks ${pattern}`).not.toMatch(pattern);
  }
}

/**
 * Asserts an RFC 9457 problem document exactly as the contract describes it:
 * Content-Type application/problem+json, fields type,title,status,detail,code (+errors),
 * status equal to the HTTP status, and no leaked internals.
 */
export function expectProblem(res: Response, status?: number | number[], code?: string | string[]): void {
  if (status !== undefined) {
    const statuses = Array.isArray(status) ? status : [status];
    expect(statuses, `status ${res.status}: ${bodyText(res).slice(0, 300)}`).toContain(res.status);
  }
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/);
  const body = JSON.parse(bodyText(res)) as Record<string, unknown>;
  const keys = Object.keys(body).sort();
  const expected = ['code', 'detail', 'status', 'title', 'type'];
  if ('errors' in body) expected.push('errors');
  expect(keys).toEqual(expected.sort());
  expect(body.status).toBe(res.status);
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(typeof body.code).toBe('string');
  if (code !== undefined) {
    const codes = Array.isArray(code) ? code : [code];
    expect(codes).toContain(body.code);
  }
  if ('errors' in body) {
    expect(body.code).toBe('validation_failed');
    expectFieldErrors(body.errors);
  }
  expectNoLeak(res);
}

/** `errors` is a non-empty array of exactly { path, message } strings. */
export function expectFieldErrors(errors: unknown): asserts errors is { path: string; message: string }[] {
  expect(Array.isArray(errors)).toBe(true);
  const list = errors as unknown[];
  expect(list.length).toBeGreaterThan(0);
  for (const item of list) {
    expect(typeof item).toBe('object');
    expect(Object.keys(item as object).sort()).toEqual(['message', 'path']);
    expect(typeof (item as { path: unknown }).path).toBe('string');
    expect(typeof (item as { message: unknown }).message).toBe('string');
  }
}

/** A validation failure whose `errors` name (at least) the given paths. */
export function expectValidationFailed(res: Response, paths: string[] = []): void {
  expectProblem(res, 400, 'validation_failed');
  const body = res.body as { errors?: unknown };
  expectFieldErrors(body.errors);
  const seen = body.errors.map((e) => e.path);
  for (const path of paths) expect(seen, `errors should name ${path}`).toContain(path);
}

/**
 * Never a 5xx; a 4xx is a clean problem document. (Success bodies may echo what the
 * client sent, e.g. a name, so they are not scanned for leak patterns here.)
 */
export function expectHandled(res: Response): void {
  expect(res.status, `unexpected ${res.status}: ${bodyText(res).slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) expectProblem(res);
}

/** Lines the app logged at error level (pino level 50+), e.g. unhandled errors behind a 500. */
export const errorLogs = (logs: string[]): string[] =>
  logs.filter((line) => {
    try {
      return (JSON.parse(line) as { level?: number }).level! >= 50;
    } catch {
      return false;
    }
  });
