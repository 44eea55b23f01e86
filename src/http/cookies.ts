import { parse } from 'cookie';
import type { Request, Response } from 'express';
import type { Config } from '../config/config.ts';

export const REFRESH_COOKIE = 'refresh_token';
export const CSRF_COOKIE = 'csrf_token';
export const REFRESH_COOKIE_PATH = '/api/auth';

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
export function setSessionCookies(res: Response, config: Config, values: { refreshToken: string; csrfToken: string; maxAgeSeconds: number }) {
  const base = { sameSite: 'strict' as const, secure: config.cookieSecure, maxAge: values.maxAgeSeconds * 1000 };
  res.cookie(REFRESH_COOKIE, values.refreshToken, { ...base, httpOnly: true, path: REFRESH_COOKIE_PATH });
  res.cookie(CSRF_COOKIE, values.csrfToken, { ...base, httpOnly: false, path: '/' });
}

export function clearSessionCookies(res: Response, config: Config) {
  const base = { sameSite: 'strict' as const, secure: config.cookieSecure };
  res.clearCookie(REFRESH_COOKIE, { ...base, httpOnly: true, path: REFRESH_COOKIE_PATH });
  res.clearCookie(CSRF_COOKIE, { ...base, path: '/' });
}
