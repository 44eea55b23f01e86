/** Seeding through the HTTP API: sign up, log in, refresh. */

/** Passes the password rules (not common, does not contain the email name). */
export const PASSWORD = 'Bench-q7Zx-kettle-orbit';

/** Lower case, as the server stores emails (bulk-seeded rows skip its normalisation). */
export const email = (prefix: string, i: number): string => `${prefix}${i}@bench.test`.toLowerCase();

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

async function post(url: string, path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json().catch(() => undefined) };
}

async function expectTokens(url: string, path: string, body: unknown): Promise<TokenPair> {
  const { status, json } = await post(url, path, body);
  const tokens = json as Partial<TokenPair> | undefined;
  if (status !== 200 || !tokens?.accessToken || !tokens.refreshToken) {
    throw new Error(`POST ${path} answered ${status}: ${JSON.stringify(json)}`);
  }
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
}

export const login = (url: string, userEmail: string): Promise<TokenPair> =>
  expectTokens(url, '/api/auth/login', { email: userEmail, password: PASSWORD });

export const refresh = (url: string, refreshToken: string): Promise<TokenPair> => expectTokens(url, '/api/auth/refresh', { refreshToken });

/** Runs `task` over `items`, at most `concurrency` at a time; results in input order. */
export async function inParallel<T, R>(items: T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Signs up `count` users named prefix0@…, prefix1@…; returns their emails. */
export async function signUp(url: string, prefix: string, count: number): Promise<string[]> {
  const emails = Array.from({ length: count }, (_, i) => email(prefix, i));
  await inParallel(emails, 4, async (address) => {
    const { status, json } = await post(url, '/api/auth/signup', { email: address, password: PASSWORD });
    if (status !== 201) throw new Error(`signup ${address}: ${status} ${JSON.stringify(json)}`);
  });
  return emails;
}

/** One fresh session per entry (logins cycle through the users); returns each session's tokens. */
export const loginMany = (url: string, emails: string[], sessions: number): Promise<TokenPair[]> =>
  inParallel(
    Array.from({ length: sessions }, (_, i) => emails[i % emails.length]!),
    8,
    (address) => login(url, address),
  );

/**
 * Distinct valid access tokens without paying argon2 for each: `count / perSession`
 * logins, then each session refreshed `perSession - 1` times, keeping every access
 * token (rotation does not revoke the earlier access tokens of a live session).
 */
export async function collectAccessTokens(
  url: string,
  emails: string[],
  count: number,
  perSession = 50,
): Promise<{ tokens: string[]; logins: number; refreshes: number; seconds: number }> {
  const started = performance.now();
  const sessions = await loginMany(url, emails, Math.ceil(count / perSession));
  const perChain = await inParallel(sessions, 16, async (pair) => {
    const tokens = [pair.accessToken];
    let current = pair;
    while (tokens.length < perSession) {
      current = await refresh(url, current.refreshToken);
      tokens.push(current.accessToken);
    }
    return tokens;
  });
  const tokens = [...new Set(perChain.flat())].slice(0, count);
  if (tokens.length < count) throw new Error(`only ${tokens.length} distinct access tokens`);
  return {
    tokens,
    logins: sessions.length,
    refreshes: sessions.length * (perSession - 1),
    seconds: (performance.now() - started) / 1000,
  };
}
