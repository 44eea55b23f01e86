/** The prefixed names first: a sibling host can plant a plain `csrf_token`, never a `__Host-` one. */
const CSRF_COOKIES = ['__Host-csrf_token', '__Secure-csrf_token', 'csrf_token'].map((name) => new RegExp(`(?:^|;\\s*)${name}=([^;]*)`));

/**
 * The session's CSRF token from the readable csrf_token cookie (also `__Host-`/`__Secure-`),
 * when this page can see it: a page on the API's own host, or on any host of the site when the
 * server sets COOKIE_DOMAIN. Elsewhere (and in Node) undefined: the client then relies on the
 * token from the login/refresh body it keeps in memory.
 */
export function readDocumentCsrfToken(): string | undefined {
  const doc = (globalThis as { document?: { cookie?: string } }).document;
  const cookies = doc?.cookie ?? '';
  const value = CSRF_COOKIES.map((pattern) => cookies.match(pattern)?.[1]).find(Boolean);
  if (!value) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
