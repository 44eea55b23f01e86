const CSRF_COOKIE = /(?:^|;\s*)(?:__Host-|__Secure-)?csrf_token=([^;]*)/;

/**
 * The session's CSRF token from the readable csrf_token cookie (also `__Host-`/`__Secure-`),
 * when this page can see it: a page on the API's own host, or on any host of the site when the
 * server sets COOKIE_DOMAIN. Elsewhere (and in Node) undefined: the client then relies on the
 * token from the login/refresh body it keeps in memory.
 */
export function readDocumentCsrfToken(): string | undefined {
  const doc = (globalThis as { document?: { cookie?: string } }).document;
  const value = doc?.cookie?.match(CSRF_COOKIE)?.[1];
  if (!value) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
