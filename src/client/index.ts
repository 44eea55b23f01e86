/**
 * A small client that keeps a user logged in, for browsers and Node.
 * The access token lives in memory; the refresh token either in memory ('body' transport,
 * Node) or in Tessera's HttpOnly cookie ('cookie' transport, browsers). Refreshes are
 * single-flight: however many requests hit an expired token at once, one refresh runs and
 * they all wait for it, so rotation never races itself into reuse detection.
 */
export interface TesseraClientOptions {
  /** The auth server, e.g. https://auth.example.com (no trailing slash needed). */
  baseUrl: string;
  /** 'body' (default in Node) keeps the refresh token in memory; 'cookie' relies on the HttpOnly cookie. */
  transport?: 'body' | 'cookie';
  fetch?: typeof fetch;
  /** Reads the csrf_token cookie in cookie mode (default: document.cookie). */
  readCsrfToken?: () => string | undefined;
  /**
   * Origins (besides baseUrl's) that may receive the access token from fetch(), e.g. your
   * API's. The token is never sent anywhere else.
   */
  apiOrigins?: string[];
  /** Called when the session is gone (refresh refused): show the login screen. */
  onSessionEnded?: (code: string | undefined) => void;
}

export interface TokenSet {
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
  user: { id: string; email: string; roles: string[] };
}

export class TesseraError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    detail: string,
  ) {
    super(detail);
    this.name = 'TesseraError';
  }
}

async function problem(res: Response): Promise<TesseraError> {
  const body = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
  return new TesseraError(res.status, body.code, body.detail ?? res.statusText);
}

const browserCsrf = (): string | undefined => {
  const doc = (globalThis as { document?: { cookie?: string } }).document;
  return doc?.cookie?.match(/(?:^|;\s*)(?:__Host-)?csrf_token=([^;]*)/)?.[1];
};

export function createTesseraClient(options: TesseraClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const trusted = new Set([new URL(base).origin, ...(options.apiOrigins ?? []).map((o) => new URL(o).origin)]);
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const transport = options.transport ?? 'body';
  const csrf = options.readCsrfToken ?? browserCsrf;
  let accessToken: string | undefined;
  let refreshToken: string | undefined;
  let refreshing: Promise<void> | undefined;

  const store = (tokens: TokenSet) => {
    accessToken = tokens.accessToken;
    if (tokens.refreshToken) refreshToken = tokens.refreshToken;
  };

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    doFetch(`${base}${path}`, {
      method: 'POST',
      credentials: 'include',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  const authBody = (): [unknown, Record<string, string>] =>
    transport === 'cookie' ? [{}, { 'X-CSRF-Token': csrf() ?? '' }] : [{ refreshToken }, {}];

  const runRefresh = async (): Promise<void> => {
    const [body, headers] = authBody();
    const res = await post('/api/auth/refresh', body, headers);
    if (!res.ok) {
      const error = await problem(res);
      if (res.status === 401 || res.status === 403) {
        accessToken = undefined;
        refreshToken = undefined;
        options.onSessionEnded?.(error.code);
      }
      throw error;
    }
    store((await res.json()) as TokenSet);
  };

  return {
    get accessToken() {
      return accessToken;
    },

    async login(email: string, password: string): Promise<TokenSet> {
      const res = await post('/api/auth/login', { email, password });
      if (!res.ok) throw await problem(res);
      const tokens = (await res.json()) as TokenSet;
      store(tokens);
      return tokens;
    },

    /** One refresh at a time: concurrent callers share the one in flight. */
    refresh(): Promise<void> {
      refreshing ??= runRefresh().finally(() => {
        refreshing = undefined;
      });
      return refreshing;
    },

    /**
     * fetch() with the access token (only to baseUrl's origin and `apiOrigins`); on a 401 it
     * refreshes (single-flight) and retries once.
     */
    async fetch(input: string, init: RequestInit = {}): Promise<Response> {
      const url = input.startsWith('http') ? input : `${base}${input}`;
      if (!trusted.has(new URL(url).origin)) return doFetch(url, init);
      const send = () => {
        const headers = new Headers(init.headers);
        if (accessToken) headers.set('Authorization', `Bearer ${accessToken}`);
        return doFetch(url, { ...init, headers });
      };
      if (!accessToken && (refreshToken || transport === 'cookie')) await this.refresh().catch(() => {});
      const tokenUsed = accessToken;
      const res = await send();
      if (res.status !== 401 || (!refreshToken && transport !== 'cookie')) return res;
      // Another request may have refreshed while this one was in flight: retry with its token.
      if (accessToken === tokenUsed) await this.refresh();
      return send();
    },

    async logout(): Promise<void> {
      const [body, headers] = authBody();
      if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
      accessToken = undefined;
      refreshToken = undefined;
      await post('/api/auth/logout', body, headers);
    },
  };
}

export type TesseraClient = ReturnType<typeof createTesseraClient>;
