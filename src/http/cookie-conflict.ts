import type { RequestHandler } from 'express';
import type { Config } from '../config/config.ts';
import { cookieConflict } from '../lib/errors.ts';
import { cookieCount, cookieNames, expireHostOnlyTwin } from './cookies.ts';

/**
 * Cookie tossing: a sibling host of the site can set a second refresh or CSRF cookie
 * (Domain=.example.com, a longer Path) that the browser sends before ours, and the Cookie header
 * does not say which copy is ours. Such a request is refused `400 cookie_conflict` before anything
 * reads the cookies: nothing rotates and nothing is revoked. The response expires the host-only
 * twin (only this host can have set it: with COOKIE_DOMAIN a stale one from before it); a Domain
 * copy stays, as the Cookie header names no Domain or Path to expire it by.
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
    for (const { cookie } of repeated) expireHostOnlyTwin(res, config, cookie);
    throw cookieConflict(first.name);
  };
}
