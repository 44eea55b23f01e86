import type { Response } from 'express';
import type { Config } from '../config/config.ts';
import { setDeviceCookie, setSessionCookies } from '../http/cookies.ts';
import { DEVICE_LIFETIME_SECONDS } from './device-cookie.ts';
import type { Csrf } from '../http/csrf.ts';
import { toPublicUser } from '../users/user.ts';
import type { IssuedTokens } from '../sessions/sessions.service.ts';

/** Token responses must never be stored by a browser or proxy (RFC 6749 §5.1). */
export function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
}

/** Login and refresh answer alike: the body, and per REFRESH_TOKEN_TRANSPORT the cookies. */
export function sendTokens(res: Response, config: Config, csrf: Csrf, issued: IssuedTokens, deviceToken?: string): void {
  noStore(res);
  const cookies = config.refreshTransport !== 'body';
  // The CSRF token travels in the body too: a page on a sibling host cannot read the API host's cookie.
  const csrfToken = cookies ? csrf.tokenFor(issued.sessionId) : undefined;
  if (csrfToken) {
    setSessionCookies(res, config, { refreshToken: issued.refreshToken, csrfToken, maxAgeSeconds: issued.refreshExpiresIn });
    if (deviceToken) setDeviceCookie(res, config, deviceToken, DEVICE_LIFETIME_SECONDS);
  }
  res.status(200).json({
    tokenType: 'Bearer',
    accessToken: issued.accessToken,
    expiresIn: issued.accessExpiresIn,
    ...(config.refreshTransport === 'cookie' ? {} : { refreshToken: issued.refreshToken }),
    refreshExpiresIn: issued.refreshExpiresIn,
    ...(csrfToken ? { csrfToken } : {}),
    user: toPublicUser(issued.user),
  });
}
