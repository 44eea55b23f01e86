/** The load of each scenario, as an autocannon spec. */
import type { LoadSpec } from './load.ts';
import { PASSWORD } from './seed.ts';

type Base = Pick<LoadSpec, 'url' | 'connections' | 'seconds'>;

export const open = (base: Base): LoadSpec => ({ ...base, path: '/api/public' });

/** One token, sent on every request. */
export const protectedRoute = (base: Base, token: string, path = '/api/protected'): LoadSpec => ({
  ...base,
  path,
  headers: { authorization: `Bearer ${token}` },
});

/** A different token on each request, cycling through all of them. */
export function protectedManyTokens(base: Base, tokens: string[], path = '/api/protected'): LoadSpec {
  let next = 0;
  return {
    ...base,
    path,
    setupRequest(request) {
      request.headers = { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` };
      return request;
    },
  };
}

/** Logins with the correct password, cycling through the users. */
export function login(base: Base, emails: string[]): LoadSpec {
  let next = 0;
  return {
    ...base,
    method: 'POST',
    path: '/api/auth/login',
    headers: { 'content-type': 'application/json' },
    setupRequest(request) {
      request.body = JSON.stringify({ email: emails[next++ % emails.length], password: PASSWORD });
      return request;
    },
  };
}

/**
 * Rotation: every request presents a refresh token that has never been used, the one the
 * previous rotation of its session returned.
 *
 * The state lives in a pool of current refresh tokens (one per session) rather than in
 * autocannon's per-connection `context`: with a single request in `requests`, autocannon
 * resets the context before every request, so a token stored there would be lost. A
 * connection takes a token from the pool when it builds a request and the response puts the
 * session's next token back, so with one request in flight per connection no token is ever
 * presented twice. Give it more sessions than connections: a failed request (or one cut off
 * when the run ends) loses its session.
 */
export function refresh(base: Base, refreshTokens: string[]): { spec: LoadSpec; starved(): number } {
  const pool = [...refreshTokens];
  let starved = 0;
  const spec: LoadSpec = {
    ...base,
    method: 'POST',
    path: '/api/auth/refresh',
    headers: { 'content-type': 'application/json' },
    setupRequest(request) {
      const token = pool.shift();
      if (token === undefined) starved += 1;
      // An empty pool sends an invalid token: a 401 that shows up in the non-2xx column.
      request.body = JSON.stringify({ refreshToken: token ?? 'pool-exhausted' });
      return request;
    },
    onResponse(status, body) {
      if (status === 200) pool.push((JSON.parse(body) as { refreshToken: string }).refreshToken);
    },
  };
  return { spec, starved: () => starved };
}
