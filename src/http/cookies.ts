import { parse } from 'cookie';
import type { Request, Response } from 'express';
import type { Config } from '../config/config.ts';

const REFRESH_COOKIE_PATH = '/api/auth';

/**
 * The contract's names by default. With COOKIE_PREFIXES=true (needs Secure cookies) the
 * browser itself enforces more: `__Secure-refresh_token` can only be set over HTTPS, and
 * `__Host-csrf_token` also cannot be set by a sibling subdomain (no Domain, Path=/). With
 * COOKIE_DOMAIN the CSRF cookie carries a Domain, which `__Host-` forbids: it is `__Secure-` then.
 */
export function cookieNames(config: Config): { refresh: string; csrf: string; device: string } {
  if (!config.cookiePrefixes) return { refresh: 'refresh_token', csrf: 'csrf_token', device: 'device' };
  return {
    refresh: '__Secure-refresh_token',
    csrf: config.cookieDomain ? '__Secure-csrf_token' : '__Host-csrf_token',
    device: '__Secure-device',
  };
}

/** What every Tessera cookie shares: SameSite (COOKIE_SAMESITE), Secure, and Domain when COOKIE_DOMAIN is set. */
const cookieBase = (config: Config) => ({
  sameSite: config.cookieSameSite,
  secure: config.cookieSecure,
  ...(config.cookieDomain ? { domain: config.cookieDomain } : {}),
});

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  try {
    return parse(header)[name];
  } catch {
    return undefined;
  }
}

/** The refresh token (HttpOnly, only sent to /api/auth) and its session's CSRF token (readable by scripts). */
export function setSessionCookies(
  res: Response,
  config: Config,
  values: { refreshToken: string; csrfToken: string; maxAgeSeconds: number },
) {
  const names = cookieNames(config);
  const base = { ...cookieBase(config), maxAge: values.maxAgeSeconds * 1000 };
  clearHostOnlyTwins(res, config);
  res.cookie(names.refresh, values.refreshToken, { ...base, httpOnly: true, path: REFRESH_COOKIE_PATH });
  res.cookie(names.csrf, values.csrfToken, { ...base, httpOnly: false, path: '/' });
}

/**
 * The device cookie (see auth/device-cookie.ts): HttpOnly, sent only to /api/auth, kept across
 * logouts, since it names the browser rather than a session.
 */
export function setDeviceCookie(res: Response, config: Config, value: string, maxAgeSeconds: number) {
  // Host-only whatever COOKIE_DOMAIN says: it concerns logins to this host, and no sibling needs it.
  res.cookie(cookieNames(config).device, value, {
    sameSite: config.cookieSameSite,
    secure: config.cookieSecure,
    httpOnly: true,
    path: REFRESH_COOKIE_PATH,
    maxAge: maxAgeSeconds * 1000,
  });
}

export function clearSessionCookies(res: Response, config: Config) {
  const names = cookieNames(config);
  const base = cookieBase(config);
  clearHostOnlyTwins(res, config);
  res.clearCookie(names.refresh, { ...base, httpOnly: true, path: REFRESH_COOKIE_PATH });
  res.clearCookie(names.csrf, { ...base, path: '/' });
}

/**
 * With COOKIE_DOMAIN set, host-only cookies an earlier configuration left behind would be a
 * second `refresh_token` beside the Domain one, sent first, and (rotated long ago) read as reuse.
 * Every response that sets or clears the session cookies also expires those twins.
 */
function clearHostOnlyTwins(res: Response, config: Config) {
  if (!config.cookieDomain) return;
  expireHostOnlyTwin(res, config, 'refresh');
  expireHostOnlyTwin(res, config, 'csrf');
}

/**
 * Expires the host-only `refresh` or `csrf` cookie: no Domain, at the cookie's own Path, Secure as
 * configured (which the `__Secure-`/`__Host-` names need). Only this host can have set a host-only
 * cookie, so this never reaches a Domain cookie, ours or a sibling's.
 */
export function expireHostOnlyTwin(res: Response, config: Config, cookie: 'refresh' | 'csrf') {
  const hostOnly = { sameSite: config.cookieSameSite, secure: config.cookieSecure };
  if (cookie === 'refresh') res.clearCookie(cookieNames(config).refresh, { ...hostOnly, httpOnly: true, path: REFRESH_COOKIE_PATH });
  else res.clearCookie(cookieNames(config).csrf, { ...hostOnly, path: '/' });
}

/**
 * How many times the raw Cookie header carries `name`. `readCookie` (the `cookie` package) keeps
 * the first, and a browser sends first the cookie with the longer Path, which a sibling host can
 * choose: a second copy means readCookie may be reading someone else's.
 */
export function cookieCount(req: Request, name: string): number {
  const header = req.headers.cookie;
  if (!header) return 0;
  let count = 0;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    // Names compared as the cookie package reads them: trimmed, not decoded.
    if (eq > 0 && pair.slice(0, eq).trim() === name) count += 1;
  }
  return count;
}
