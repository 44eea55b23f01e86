import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createCsrf } from '../../src/http/csrf.ts';
import { expectDomainErrorSync } from '../helpers/services.ts';

/** The contract's header name. */
const CSRF_HEADER = 'x-csrf-token';
const APP_ORIGIN = 'https://app.example.com';
const REFRESH_SECRET = 'csrf-test-refresh-secret-0123456789abcdef';

const configWith = (env: Record<string, string> = {}): Config =>
  loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', JWT_REFRESH_SECRET: REFRESH_SECRET, CORS_ORIGINS: APP_ORIGIN, ...env });

/** Just what csrf.ts reads of an Express request: headers, protocol and get('host'). */
function fakeRequest(options: {
  header?: string;
  cookie?: string;
  cookieName?: string;
  origin?: string;
  host?: string;
  protocol?: string;
}): Request {
  const headers: Record<string, string> = { host: options.host ?? 'auth.example.com' };
  if (options.header !== undefined) headers[CSRF_HEADER] = options.header;
  if (options.cookie !== undefined) headers.cookie = `${options.cookieName ?? 'csrf_token'}=${encodeURIComponent(options.cookie)}; other=1`;
  if (options.origin !== undefined) headers.origin = options.origin;
  const req = {
    headers,
    protocol: options.protocol ?? 'https',
    get: (name: string) => headers[name.toLowerCase()],
  };
  return req as unknown as Request;
}

describe('CSRF synchronizer token bound to the session (v2)', () => {
  const csrf = createCsrf(configWith());
  const token = csrf.tokenFor('session-1');

  it('gives each session its own stable token', () => {
    expect(csrf.tokenFor('session-1')).toBe(token);
    expect(csrf.tokenFor('session-2')).not.toBe(token);
    expect(token.length).toBeGreaterThanOrEqual(32);
    // Another deployment (another refresh secret) gives another token.
    const other = createCsrf(configWith({ JWT_REFRESH_SECRET: 'another-refresh-secret-0123456789abcdefgh' }));
    expect(other.tokenFor('session-1')).not.toBe(token);
  });

  it('passes a matching header and cookie without an Origin, from our own origin, and from an allowed origin', () => {
    expect(() => csrf.check(fakeRequest({ header: token, cookie: token }), 'session-1')).not.toThrow();
    expect(() => csrf.check(fakeRequest({ header: token, cookie: token, origin: 'https://auth.example.com' }), 'session-1')).not.toThrow();
    expect(() => csrf.check(fakeRequest({ header: token, cookie: token, origin: APP_ORIGIN }), 'session-1')).not.toThrow();
  });

  it('refuses a missing or empty header, whatever cookie comes with it', () => {
    expectDomainErrorSync(() => csrf.check(fakeRequest({ cookie: token }), 'session-1'), 'csrf_failed');
    expectDomainErrorSync(() => csrf.check(fakeRequest({}), 'session-1'), 'csrf_failed');
    expectDomainErrorSync(() => csrf.check(fakeRequest({ header: '', cookie: '' }), 'session-1'), 'csrf_failed');
  });

  it('the header alone decides: the session’s token passes without a cookie (a sibling-host page), a forged one fails with any cookie', () => {
    expect(() => csrf.check(fakeRequest({ header: token }), 'session-1')).not.toThrow();
    expect(() => csrf.check(fakeRequest({ header: token, cookie: `${token}x` }), 'session-1')).not.toThrow();
    expectDomainErrorSync(() => csrf.check(fakeRequest({ header: 'forged', cookie: 'forged' }), 'session-1'), 'csrf_failed');
    expectDomainErrorSync(() => csrf.check(fakeRequest({ header: `${token}x`, cookie: `${token}x` }), 'session-1'), 'csrf_failed');
  });

  it('refuses the token of another session, even as a matching pair', () => {
    const other = csrf.tokenFor('session-2');
    expectDomainErrorSync(() => csrf.check(fakeRequest({ header: other, cookie: other }), 'session-1'), 'csrf_failed');
  });

  it('refuses a disallowed Origin even with valid tokens', () => {
    for (const origin of [
      'https://evil.example',
      'http://auth.example.com',
      'https://auth.example.com:8443',
      'null',
      'https://app.example.com.evil.example',
    ]) {
      expectDomainErrorSync(() => csrf.check(fakeRequest({ header: token, cookie: token, origin }), 'session-1'), 'csrf_failed');
    }
  });

  it('works the same with cookie prefixes on: the token, not a cookie name, is checked', () => {
    const prefixed = createCsrf(configWith({ COOKIE_PREFIXES: 'true', COOKIE_SECURE: 'true' }));
    const value = prefixed.tokenFor('session-1');
    expect(() => prefixed.check(fakeRequest({ header: value }), 'session-1')).not.toThrow();
    expectDomainErrorSync(() => prefixed.check(fakeRequest({ header: token }), 'session-2'), 'csrf_failed');
  });
});
