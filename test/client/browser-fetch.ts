/** The URL a fetch call was made with, whatever form it came in. */
export const urlOf = (input: Parameters<typeof fetch>[0]): string => (input instanceof Request ? input.url : input.toString());

export interface Exchange {
  path: string;
  status: number;
  code?: string;
}

/**
 * One browser's cookie jar for one site, as a fetch: it stores Set-Cookie (Path and expiry
 * honoured) and sends Cookie, as every tab of a browser does. `refuse` plays a browser that keeps
 * no cookies for this site (third-party cookies blocked). Every exchange is recorded.
 */
export function browserFetch(options: { refuse?: boolean } = {}) {
  const jar = new Map<string, { value: string; path: string }>();
  const exchanges: Exchange[] = [];

  const store = (line: string) => {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const attribute = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    const maxAge = attribute('max-age');
    const expires = attribute('expires');
    const gone = (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now());
    if (gone) jar.delete(name);
    else jar.set(name, { value: pair.slice(eq + 1), path: attribute('path') ?? '/' });
  };

  const jarFetch: typeof fetch = async (input, init) => {
    const url = new URL(urlOf(input));
    const headers = new Headers(init?.headers);
    const cookie = [...jar]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
    if (cookie) headers.set('Cookie', cookie);
    const res = await fetch(url, { ...init, headers });
    if (!options.refuse) for (const line of res.headers.getSetCookie()) store(line);
    const body = res.ok
      ? {}
      : ((await res
          .clone()
          .json()
          .catch(() => ({}))) as { code?: string });
    exchanges.push({ path: url.pathname, status: res.status, ...(body.code ? { code: body.code } : {}) });
    return res;
  };

  return {
    fetch: jarFetch,
    exchanges,
    /** The value of a cookie in the jar (what document.cookie would show, were the page on that host). */
    cookie: (name: string) => {
      const value = jar.get(name)?.value;
      return value === undefined ? undefined : decodeURIComponent(value);
    },
    refreshes: () => exchanges.filter((e) => e.path === '/api/auth/refresh'),
    /** The user clears the site's data (or the cookies expire). */
    clear: () => jar.clear(),
  };
}

/**
 * navigator.locks as a test needs it: one exclusive lock per name, granted in request order,
 * shared by the "tabs" (clients) of one browser.
 */
export function fakeLocks() {
  const tails = new Map<string, Promise<unknown>>();
  return {
    request(name: string, callback: () => Promise<unknown>): Promise<unknown> {
      const run = (tails.get(name) ?? Promise.resolve()).then(() => callback());
      tails.set(
        name,
        run.catch(() => {}),
      );
      return run;
    },
  };
}
