/**
 * An error from Tessera with its contract `code` (`status` is the HTTP status), or one the client
 * raises itself (`status` 0, e.g. `cookie_mode_unavailable`). Tests and apps compare the code.
 */
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

/** The problem+json answer of a failed request as a TesseraError. */
export async function problem(res: Response): Promise<TesseraError> {
  const body = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
  return new TesseraError(res.status, body.code, body.detail ?? res.statusText);
}

export const COOKIE_MODE_UNAVAILABLE =
  'Logged in, but cookie transport cannot work: the answer carries no csrfToken and this page cannot read a csrf_token cookie. ' +
  "The server probably sets no cookies (REFRESH_TOKEN_TRANSPORT=body): set it to 'both' or 'cookie', or use transport: 'body'.";

export const cookiesRefused = (base: string) =>
  `Tessera: the browser did not send the refresh_token cookie to ${base} (401 missing_token), so the session cannot be renewed. ` +
  'Different sites cannot share HttpOnly cookies: a page on another site, SameSite or blocked third-party cookies keep it from the auth server. ' +
  'Serve the page and Tessera from one site (e.g. app.example.com and auth.example.com); see the README, "Deploying with a single-page app".';
