/**
 * A small client that keeps a user logged in, for browsers and Node.
 * The access token lives in memory; the refresh token either in memory ('body' transport,
 * Node) or in Tessera's HttpOnly cookie ('cookie' transport, browsers). Refreshes are
 * single-flight: however many requests hit an expired token at once, one refresh runs and
 * they all wait for it, so rotation never races itself into reuse detection. With the cookie
 * transport the tabs of an origin share that one refresh too (see cross-tab.ts).
 */
import { readDocumentCsrfToken } from './csrf.ts';
import { defaultChannel, defaultLocks, openTabs, type TabMessage } from './cross-tab.ts';
import { COOKIE_MODE_UNAVAILABLE, cookiesRefused, problem, TesseraError } from './errors.ts';
import type { TesseraClientOptions, TokenSet } from './options.ts';
import { retryWhileUnavailable } from './retry.ts';

export { TesseraError } from './errors.ts';
export type { TabChannel, TabLocks } from './cross-tab.ts';
export type { TesseraClientOptions, TokenSet } from './options.ts';
export type { RetryOptions } from './retry.ts';

/**
 * Whether a 401 is about the access token (RFC 6750 `error="invalid_token"`: expired, revoked,
 * bad), which a refresh cures. A 401 whose challenge says otherwise is about the request: a wrong
 * current password, a step-up (`insufficient_user_authentication`, RFC 9470). Refreshing and
 * retrying those would only send the password again, a second strike on the account's throttle.
 * A 401 whose challenge the browser cannot read (a service that does not expose WWW-Authenticate
 * to this origin) is taken as the token's, as before.
 */
const tokenRefused = (res: Response): boolean => {
  const challenge = res.headers.get('WWW-Authenticate');
  return challenge === null || /error="invalid_token"/.test(challenge);
};

export function createTesseraClient(options: TesseraClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const trusted = new Set([new URL(base).origin, ...(options.apiOrigins ?? []).map((o) => new URL(o).origin)]);
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const cookieMode = options.transport === 'cookie';
  const readCsrf = options.readCsrfToken ?? readDocumentCsrfToken;
  let accessToken: string | undefined;
  let refreshToken: string | undefined;
  /** Cookie mode: the session's CSRF token from the last login/refresh body or another tab. */
  let csrfToken: string | undefined;
  /** Cookie mode: the session is known to be over (a logout here or in another tab, a refusal). */
  let ended = false;
  let endedCode: string | undefined;
  /** Counts changes of the tokens, so a tab that waited for the lock sees another tab's refresh. */
  let generation = 0;
  let warned = false;
  /** This tab logged in and has not refreshed since: a missing refresh cookie then means the browser refused it. */
  let freshLogin = false;
  let refreshing: Promise<void> | undefined;

  const currentCsrf = () => csrfToken ?? readCsrf();
  const canRefresh = () => (cookieMode ? !ended : refreshToken !== undefined);

  const adopt = (tokens: { accessToken: string; refreshToken?: string; csrfToken?: string }) => {
    accessToken = tokens.accessToken;
    // Cookie mode never holds the refresh token in script memory, even when the body has it too.
    if (!cookieMode && tokens.refreshToken) refreshToken = tokens.refreshToken;
    if (cookieMode && tokens.csrfToken) csrfToken = tokens.csrfToken;
    ended = false;
    generation++;
  };

  const drop = (code: string | undefined) => {
    accessToken = refreshToken = csrfToken = undefined;
    ended = true;
    endedCode = code;
    generation++;
  };

  /** A message about another session than the one this tab holds (an old refresh finishing after a new login). */
  const otherSession = (session: string | undefined) => session !== undefined && csrfToken !== undefined && session !== csrfToken;

  const receive = (message: TabMessage) => {
    if (message.type === 'tokens') {
      if (message.login || !otherSession(message.csrfToken) || ended) adopt(message);
    } else if (message.type === 'ended' && !ended && !otherSession(message.session)) {
      drop(message.code);
      options.onSessionEnded?.(message.code);
    } else if (message.type === 'ask' && csrfToken && !ended) tabs?.post({ type: 'csrf', csrfToken });
    else if (message.type === 'csrf') csrfToken ??= message.csrfToken;
  };

  const ownChannel = cookieMode && options.channel === undefined ? defaultChannel(`tessera:${base}`) : undefined;
  const channel = ownChannel ?? options.channel ?? undefined;
  const locks = options.locks === undefined ? defaultLocks() : (options.locks ?? undefined);
  const tabs = cookieMode && (channel || locks) ? openTabs(`tessera-refresh:${base}`, locks, channel, receive) : undefined;

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    doFetch(`${base}${path}`, {
      method: 'POST',
      credentials: 'include',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  const authBody = (csrf: string | undefined): [unknown, Record<string, string>] =>
    cookieMode ? [{}, { 'X-CSRF-Token': csrf ?? '' }] : [{ refreshToken }, {}];

  /** One network refresh; `id` names it to the other tabs, which hear of its outcome. */
  const runRefresh = async (id?: string): Promise<void> => {
    const csrf = cookieMode ? currentCsrf() : undefined;
    const afterLogin = freshLogin;
    freshLogin = false;
    let outcome: TabMessage | undefined = id ? { type: 'failed', id } : undefined;
    try {
      const res = await post('/api/auth/refresh', ...authBody(csrf));
      if (!res.ok) {
        let error = await problem(res);
        if (res.status !== 401 && res.status !== 403) throw error;
        // Right after this tab's login, no refresh cookie arrived: the browser did not keep it.
        // (Later, a missing cookie is an ordinary end: it expired, or site data was cleared.)
        if (cookieMode && error.code === 'missing_token' && csrf && afterLogin) {
          error = new TesseraError(401, 'cookies_refused', cookiesRefused(base));
          if (!warned) console.warn(error.message);
          warned = true;
        }
        drop(error.code);
        // 403 (csrf_failed) rotates nothing: only this tab lacks the right token.
        if (res.status === 401) outcome = { type: 'ended', id, code: error.code, ...(csrf ? { session: csrf } : {}) };
        options.onSessionEnded?.(error.code);
        throw error;
      }
      const tokens = (await res.json()) as TokenSet;
      adopt(tokens);
      outcome = { type: 'tokens', id, accessToken: tokens.accessToken, csrfToken: tokens.csrfToken ?? csrf };
    } finally {
      if (outcome) tabs?.post(outcome);
    }
  };

  /** Under the cross-tab lock: use what another tab got meanwhile, else refresh and tell them. */
  const refreshAcrossTabs = async (): Promise<void> => {
    if (!tabs) return runRefresh();
    const seen = generation;
    await tabs.exclusive(async () => {
      await tabs.othersDone();
      if (generation === seen && !currentCsrf()) await tabs.ask();
      if (generation !== seen) {
        if (accessToken) return;
        throw new TesseraError(401, endedCode, 'The session ended in another tab.');
      }
      await runRefresh(tabs.announce());
    });
  };

  /** Takes the session a login (or its MFA step) answered with; an MFA challenge is returned as it came. */
  const adoptLogin = async (res: Response): Promise<TokenSet> => {
    if (!res.ok) throw await problem(res);
    const tokens = (await res.json()) as TokenSet;
    if (!tokens.accessToken) return tokens; // mfaRequired: no session yet (verifyMfa finishes it)
    if (cookieMode && !tokens.csrfToken && !readCsrf()) throw new TesseraError(0, 'cookie_mode_unavailable', COOKIE_MODE_UNAVAILABLE);
    adopt(tokens);
    freshLogin = true;
    tabs?.post({ type: 'tokens', accessToken: tokens.accessToken, csrfToken: currentCsrf(), login: true });
    return tokens;
  };

  return {
    get accessToken() {
      return accessToken;
    },

    /**
     * In cookie mode, a successful login that leaves no CSRF token (none in the body, no readable
     * cookie) throws TesseraError `cookie_mode_unavailable` (status 0): refreshes could never work.
     * For an account with MFA it resolves to `{ mfaRequired: true, mfaToken, methods }` and
     * starts no session: call verifyMfa(mfaToken, code).
     */
    async login(email: string, password: string): Promise<TokenSet> {
      return adoptLogin(await post('/api/auth/login', { email, password }));
    },

    /** The second step of a login with MFA: the `mfaToken` login returned and a TOTP or recovery code. */
    async verifyMfa(mfaToken: string, code: string): Promise<TokenSet> {
      return adoptLogin(await post('/api/auth/mfa/verify', { mfaToken, code }));
    },

    /** One refresh at a time: concurrent callers (and, in cookie mode, other tabs) share the one in flight. */
    refresh(): Promise<void> {
      refreshing ??= refreshAcrossTabs().finally(() => {
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
      if (!accessToken && canRefresh()) await this.refresh().catch(() => {});
      const tokenUsed = accessToken;
      const res = await send();
      if (res.status !== 401 || !canRefresh() || !tokenRefused(res)) return res;
      // Another request (or tab) may have refreshed while this one was in flight: retry with its token.
      if (accessToken === tokenUsed) await this.refresh();
      return send();
    },

    /**
     * Ends the session; in cookie mode every tab of the origin hears of it ('logged_out'). This
     * client forgets the tokens at once. While the server cannot record the end (503, its database
     * is out of reach) it sends the logout again as Retry-After says (options.logoutRetry); if it
     * never could, this throws TesseraError 503 `unavailable`: the session was not ended.
     */
    async logout(): Promise<void> {
      const run = async () => {
        // A refresh another tab finished just before the lock came here may not be delivered yet.
        await tabs?.othersDone();
        const session = cookieMode ? currentCsrf() : undefined;
        const [body, headers] = authBody(session);
        if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
        drop('logged_out');
        try {
          const res = await retryWhileUnavailable(() => post('/api/auth/logout', body, headers), options.logoutRetry);
          if (res.status === 503) throw await problem(res);
        } finally {
          tabs?.post({ type: 'ended', code: 'logged_out', ...(session ? { session } : {}) });
        }
      };
      await (tabs ? tabs.exclusive(run) : run());
    },

    /** Stops listening to other tabs and closes the channel the client opened. */
    close(): void {
      tabs?.close();
      ownChannel?.close();
    },
  };
}

export type TesseraClient = ReturnType<typeof createTesseraClient>;
