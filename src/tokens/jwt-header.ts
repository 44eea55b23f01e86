import { TokenError } from './token-error.ts';

/** Tokens longer than this are refused before any decoding: ours are well under 2 KB. */
const MAX_TOKEN_LENGTH = 8192;

export interface JwtHeader {
  alg: string;
  typ?: unknown;
  kid?: unknown;
  [key: string]: unknown;
}

/** Headers that point at keys: RFC 8725 §3.10. We never trust or fetch them, and no token of ours carries one. */
const KEY_POINTING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'];

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** The segment is exactly what encoding its own bytes gives back (SEGMENT already excludes padding). */
const isCanonicalBase64url = (segment: string): boolean => Buffer.from(segment, 'base64url').toString('base64url') === segment;

/**
 * Reads a compact JWS header so the right key can be chosen by `kid` before the
 * signature is checked. Throws TokenError('invalid') for anything that is not a
 * three-part token with a JSON object header.
 */
export function readHeader(token: string): JwtHeader {
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenError('invalid', 'The token is too long.');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) {
    throw new TokenError('invalid', 'The token is not a signed JWT.');
  }
  // One spelling per token: base64url without padding and with zero trailing bits. Decoders
  // ignore those bits, so 16 spellings of a signature's last character would all verify.
  if (!parts.every(isCanonicalBase64url)) throw new TokenError('invalid', 'The token is not canonical base64url.');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('invalid', 'The token header is not JSON.');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new TokenError('invalid', 'The token header is not an object.');
  }
  const h = header as Record<string, unknown>;
  if (typeof h.alg !== 'string') throw new TokenError('invalid', 'The token has no algorithm.');
  if (KEY_POINTING_HEADERS.some((name) => name in h)) {
    throw new TokenError('invalid', 'The token header names a key; only the server keys are trusted.');
  }
  return h as JwtHeader;
}
