import type { TabChannel, TabLocks } from './cross-tab.ts';
import type { RetryOptions } from './retry.ts';

export interface TesseraClientOptions {
  /** The auth server, e.g. https://auth.example.com (no trailing slash needed). */
  baseUrl: string;
  /** 'body' (default in Node) keeps the refresh token in memory; 'cookie' relies on the HttpOnly cookie. */
  transport?: 'body' | 'cookie';
  fetch?: typeof fetch;
  /**
   * Cookie mode: reads the csrf_token cookie (default: document.cookie), used when the token from
   * the last login/refresh body is not in memory, e.g. after a page reload.
   */
  readCsrfToken?: () => string | undefined;
  /**
   * Origins (besides baseUrl's) that may receive the access token from fetch(), e.g. your
   * API's. The token is never sent anywhere else.
   */
  apiOrigins?: string[];
  /**
   * Called when the session is gone: a refresh was refused (its code), another tab logged out
   * ('logged_out'), or the browser does not keep the refresh cookie ('cookies_refused').
   */
  onSessionEnded?: (code: string | undefined) => void;
  /** Cookie mode: one tab refreshes at a time (default navigator.locks; null: none). */
  locks?: TabLocks | null;
  /**
   * Cookie mode: how tabs share tokens and logouts (default a BroadcastChannel named
   * 'tessera:' + baseUrl, closed by close(); null: none). An injected channel is yours to close.
   */
  channel?: TabChannel | null;
  /**
   * logout() while the server answers 503 (its database is out of reach, the session not ended
   * yet): attempts in all (default 4) and the longest wait between them (default 5000 ms); the
   * wait is the answer's Retry-After.
   */
  logoutRetry?: RetryOptions;
}

export interface TokenSet {
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
  /** Present whenever the server set cookies: the session's CSRF token for cookie mode. */
  csrfToken?: string;
  user: { id: string; email: string; name: string | null; roles: string[]; emailVerified: boolean; mfaEnabled: boolean; createdAt: string };
  /**
   * For an account with MFA, login() answers with these instead of tokens (no session yet):
   * finish with verifyMfa(mfaToken, code).
   */
  mfaRequired?: true;
  mfaToken?: string;
  methods?: string[];
}
