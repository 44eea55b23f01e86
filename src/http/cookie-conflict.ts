import type { RequestHandler } from 'express';
import type { Config } from '../config/config.ts';
import { cookieConflict } from '../lib/errors.ts';
import { cookieCount, cookieNames, expireHostOnlyTwin } from './cookies.ts';

/**
 * Cookie tossing: a sibling host of the site can set a second refresh or CSRF cookie
 * (Domain=.example.com, a longer Path) that the browser sends before ours, and the Cookie header
 * does not say which copy is ours. Such a request is refused `400 cookie_conflict` before anything
 * reads the cookies: nothing rotates and nothing is revoked. With COOKIE_DOMAIN, Tessera's own
 * cookies are Domain cookies, so a host-only twin can only be a stale one from before: the
 * response expires it. Without COOKIE_DOMAIN the host-only cookie is the user's own, and expiring
 * it would leave the browser holding only the tossed one (a login as the attacker's account on the
 * next refresh): nothing is expired, and the request is refused until the cookies are cleared.
 * A Domain copy is never expired, as the Cookie header names no Domain or Path to expire it by.
 *
 * A guard of the `refresh` access level, i.e. in front of every endpoint that reads these
 * cookies, rather than a check inside each handler.
 */
export function refuseCookieConflict(config: Config): RequestHandler {
  const names = cookieNames(config);
  const kinds = [
    { cookie: 'refresh', name: names.refresh },
    { cookie: 'csrf', name: names.csrf },
  ] as const;
  return (req, res, next) => {
    const repeated = kinds.filter(({ name }) => cookieCount(req, name) > 1);
    const [first] = repeated;
    if (!first) {
      next();
      return;
    }
    const clearStale = config.cookieDomain !== undefined;
    if (clearStale) for (const { cookie } of repeated) expireHostOnlyTwin(res, config, cookie);
    throw cookieConflict(first.name, clearStale);
  };
}
