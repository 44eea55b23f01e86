import { createHash } from 'node:crypto';
import { z } from 'zod';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const fakeSignature = (seed: string, algorithm: 'sha256' | 'sha512') => createHash(algorithm).update(seed).digest('base64url');

const TIME = '2026-01-15T09:30:00.000Z';
const IAT = Date.parse(TIME) / 1000;
const USER_ID = '0193f7a2-6c1e-7b3d-9a4f-2d8e5c1b7a90';
const SESSION_ID = '0193f7a2-7d04-7c51-8e2b-61f0a9d3c4e7';
const ISSUER = 'https://auth.example.com';
const ACCESS_TOKEN_ID = '0193f7a2-7d06-7da2-98f5-0059af449724';

/**
 * Example values for the OpenAPI document, shaped like the real ones (UUIDv7 ids, ISO times,
 * tokens that decode like ours), so a reader of /docs sees what a client gets. Not secrets: the
 * signatures are hashes of a word, and nothing verifies them.
 */
export const EXAMPLE = {
  time: TIME,
  /** TIME in seconds, as a JWT's iat. */
  issuedAt: IAT,
  accessTokenId: ACCESS_TOKEN_ID,
  userId: USER_ID,
  sessionId: SESSION_ID,
  eventId: '0193f7a2-7d09-7f3a-b5c8-0e4d2a6f9b13',
  issuer: ISSUER,
  accessToken: [
    b64({ alg: 'ES256', typ: 'at+jwt', kid: 'DCBVVUg7U7SLYyuQgelbtlHWng9gBH3p1f9Tc1sVFVw' }),
    b64({
      iss: ISSUER,
      aud: 'tessera-api',
      sub: USER_ID,
      roles: ['user'],
      sid: SESSION_ID,
      amr: ['pwd'],
      auth_time: IAT,
      jti: ACCESS_TOKEN_ID,
      iat: IAT,
      exp: IAT + 900,
    }),
    fakeSignature('access', 'sha512'),
  ].join('.'),
  refreshToken: [
    b64({ alg: 'HS256', typ: 'refresh+jwt' }),
    b64({
      iss: ISSUER,
      aud: ISSUER,
      sub: USER_ID,
      sid: SESSION_ID,
      jti: '0193f7a2-7d05-717d-bf41-de1f4cc0179f',
      iat: IAT,
      exp: IAT + 604800,
    }),
    fakeSignature('refresh', 'sha256'),
  ].join('.'),
  /** 32 random bytes, base64url: CSRF tokens, link tokens, the MFA login token. */
  opaqueToken: fakeSignature('opaque', 'sha256'),
  password: 'violet-anchor-47-tundra',
  userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  ip: '203.0.113.7',
} as const;

/** A time in a body: ISO 8601 in UTC (the contract's rule), `format: date-time` in the document. */
export const DateTime = z.iso.datetime().meta({ example: TIME });

/** A body with nothing but a human-readable message. */
export const MessageResponse = z.object({ message: z.string().meta({ example: 'Anyone may read this.' }) }).meta({ id: 'MessageResponse' });

/** Recent authentication (auth/recent-auth.ts): an account with a password sends it again. */
export const CurrentPassword = z.string().min(1).max(1024).optional().meta({
  description: 'The account’s current password (needed when it has one; else `401 reauth_required`).',
  example: EXAMPLE.password,
});

/**
 * The `no4xx` of an endpoint that reads nothing from the request: no request to it is a client
 * error. A wrong method (405) or an unknown path (404) is answered before it is reached, so it is
 * no answer of this operation.
 */
export const READS_NO_INPUT =
  'Reads nothing from the request (no body, parameters or credentials), so no request to it is a client error. ' +
  'A wrong method is answered 405 and an unknown path 404 before it is reached.';
