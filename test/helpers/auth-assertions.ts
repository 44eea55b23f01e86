import type { Response } from 'supertest';
import { expect } from 'vitest';
import { expectProblem } from './problem-assertions.ts';

/** Decodes a compact JWS without verifying it (base64url header and payload). */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Same header and signature, different payload: the signature no longer matches. */
export function withPayload(token: string, change: (payload: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64(change(decodeJwt(token).payload))}.${signature}`;
}

/** Flips one character in the middle of the signature (never the last, whose low bits may be padding). */
export function withBadSignature(token: string): string {
  const [header, payload, signature = ''] = token.split('.');
  const i = Math.floor(signature.length / 2);
  const flipped = signature[i] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`;
}

/** An unsigned token (`alg: none`) with the given header fields and payload. */
export function unsignedToken(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64({ ...header, alg: 'none' })}.${b64(payload)}.`;
}

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flag attributes map to ''. */
  attrs: Record<string, string>;
}

export function setCookies(res: Response): Record<string, SetCookie> {
  const raw = ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? []);
  const out: Record<string, SetCookie> = {};
  for (const line of raw) {
    const [pair = '', ...rest] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const attrs: Record<string, string> = {};
    for (const attr of rest) {
      const at = attr.indexOf('=');
      if (at === -1) attrs[attr.toLowerCase()] = '';
      else attrs[attr.slice(0, at).toLowerCase()] = attr.slice(at + 1);
    }
    out[name] = { name, value: decodeURIComponent(pair.slice(eq + 1)), attrs };
  }
  return out;
}

/** A cookie the browser would delete: Max-Age=0 (or negative) or Expires in the past. */
export function expectCleared(cookie: SetCookie | undefined, nowMs: number): void {
  expect(cookie).toBeDefined();
  const maxAge = cookie!.attrs['max-age'];
  const expires = cookie!.attrs.expires;
  const cleared =
    (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) < Math.min(nowMs, Date.now()));
  expect(cleared, `cookie ${cookie!.name} is not cleared: ${JSON.stringify(cookie!.attrs)}`).toBe(true);
}

/** The RFC 9457 problem document shape, with the expected status and code (one assertion for the whole suite). */
export { expectProblem };

/** A 401 on a Bearer route for a bad token: RFC 6750 header with error="invalid_token". */
export function expectBearerError(res: Response, code: string): void {
  expectProblem(res, 401, code);
  const header = res.headers['www-authenticate'];
  expect(header).toMatch(/^Bearer realm="tessera"/);
  expect(header).toContain('error="invalid_token"');
}

export const bearer = (token: string) => `Bearer ${token}`;

export const SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000;
