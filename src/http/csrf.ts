import type { Request } from 'express';
import type { Config } from '../config/config.ts';
import { hmac, safeEqual } from '../lib/hash.ts';
import { cookieNames, readCookie } from './cookies.ts';
import { csrfFailed } from '../lib/errors.ts';

const CSRF_HEADER = 'x-csrf-token';

/**
 * Double-submit CSRF bound to the session: the token is an HMAC of the session id, so a
 * CSRF token from another session (or a cookie planted by a sibling subdomain) never
 * matches, and nothing needs storing.
 */
export function createCsrf(config: Config) {
  const key = Buffer.from(hmac(config.jwt.refreshSecret, 'tessera-csrf'));
  const allowedOrigins = new Set(config.corsOrigins);
  const csrfCookie = cookieNames(config).csrf;

  const originAllowed = (req: Request): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (allowedOrigins.has(origin)) return true;
    return origin === `${req.protocol}://${req.get('host') ?? ''}`;
  };

  return {
    tokenFor: (sessionId: string): string => hmac(key, sessionId),

    /** Throws 403 csrf_failed unless a cookie-borne request proves it came from our page. */
    check(req: Request, sessionId: string): void {
      if (!originAllowed(req)) throw csrfFailed('The request origin is not allowed.');
      const header = req.headers[CSRF_HEADER];
      const cookie = readCookie(req, csrfCookie);
      if (typeof header !== 'string' || !cookie || !safeEqual(header, cookie)) throw csrfFailed();
      if (!safeEqual(header, hmac(key, sessionId))) throw csrfFailed('The CSRF token belongs to another session.');
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
