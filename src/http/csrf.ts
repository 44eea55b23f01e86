import type { Request } from 'express';
import type { Config } from '../config/config.ts';
import { hmac, safeEqual } from '../lib/hash.ts';
import { csrfFailed } from '../lib/errors.ts';

const CSRF_HEADER = 'x-csrf-token';

/**
 * Synchronizer-token CSRF bound to the session: the token is an HMAC of the session id, handed
 * to the page in the login/refresh body (and the csrf_token cookie). A cookie-borne request is
 * honoured only with X-CSRF-Token equal to its own session's token, which a page of another
 * site cannot learn; a token from another session never matches, and nothing needs storing.
 * No readable cookie is required, so a page on app.example.com can talk to auth.example.com.
 */
export function createCsrf(config: Config) {
  const key = Buffer.from(hmac(config.jwt.refreshSecret, 'tessera-csrf'));
  const allowedOrigins = new Set(config.corsOrigins);

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
      if (typeof header !== 'string' || header === '') throw csrfFailed();
      if (!safeEqual(header, hmac(key, sessionId))) throw csrfFailed('The CSRF token does not belong to this session.');
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
