/**
 * Hand-rolled JWS building blocks for the token-security tests: full control over the
 * header (fast-jwt's signer would add or normalise members an attacker controls).
 */
import { createHmac, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { expect } from 'vitest';
import type { Response } from 'supertest';
import { withLowS } from '../../src/tokens/ecdsa-low-s.ts';

export type Json = Record<string, unknown>;

export const b64u = (value: string | Buffer): string => Buffer.from(value).toString('base64url');
export const encodeJson = (value: unknown): string => b64u(JSON.stringify(value));

export function decodeSegment(token: string, index: 0 | 1): Json {
  const part = token.split('.')[index];
  if (part === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Json;
}

/** A copy of `obj` without `name`. */
export function without(obj: Json, name: string): Json {
  const copy = { ...obj };
  delete copy[name];
  return copy;
}

export const decodeHeader = (token: string): Json => decodeSegment(token, 0);
export const decodePayload = (token: string): Json => decodeSegment(token, 1);

/** ES256 (raw r||s signature, as JWS requires), in the low-S form Tessera accepts (see ecdsa-low-s.ts). */
export function signEs256(header: Json, payload: Json, key: KeyObject): string {
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  const signature = cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return withLowS(`${input}.${b64u(signature)}`);
}

export function signHmac(header: Json, payload: Json, secret: string | Buffer, hash = 'sha256'): string {
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

/** Any 401 from a Bearer route for a bad token: RFC 6750 challenge with error="invalid_token". */
export function expectBearerRejected(res: Response, code = 'invalid_token'): void {
  expect(res.status, JSON.stringify(res.body)).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe(code);
  const challenge = String(res.headers['www-authenticate'] ?? '');
  expect(challenge).toMatch(/^Bearer /);
  expect(challenge).toContain('realm="tessera"');
  expect(challenge).toContain('error="invalid_token"');
}
