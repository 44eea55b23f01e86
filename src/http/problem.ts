import type { Response } from 'express';
import type { DomainError, ErrorCode } from '../lib/errors.ts';
import { noteProblem } from './request-log.ts';

const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The one map from the contract's error codes to HTTP statuses. */
export const STATUS_OF: Record<ErrorCode, number> = {
  validation_failed: 400,
  malformed_json: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  email_taken: 409,
  invalid_credentials: 401,
  account_disabled: 403,
  missing_token: 401,
  invalid_token: 401,
  token_expired: 401,
  token_revoked: 401,
  refresh_reused: 401,
  insufficient_role: 403,
  insufficient_scope: 403,
  csrf_failed: 403,
  rate_limited: 429,
  not_found: 404,
  internal_error: 500,
  last_admin: 409,
  invalid_client: 401,
  invalid_link: 400,
  email_unverified: 403,
  mfa_required: 403,
  invalid_mfa_code: 401,
  unavailable: 503,
  reauth_required: 401,
  cookie_conflict: 400,
  method_not_allowed: 405,
};

/**
 * The one exception to one status per code, on routes whose caller is signed in (a Bearer token,
 * which endpoint.ts marks with the Bearer scheme): a wrong second-factor code there is a mistake
 * in the request (400), not a failed sign-in, and carries no challenge that would make a client
 * refresh its token and retry. At POST /api/auth/mfa/verify (a login) it stays 401.
 */
const SIGNED_IN_STATUS_OF: Partial<Record<ErrorCode, number>> = { invalid_mfa_code: 400 };

/** The status of an error code; `signedIn` on a Bearer route (see SIGNED_IN_STATUS_OF). */
export const statusOf = (code: ErrorCode, signedIn = false): number =>
  (signedIn ? SIGNED_IN_STATUS_OF[code] : undefined) ?? STATUS_OF[code];

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const titleFor = (status: number): string => TITLES[status] ?? 'Error';

/** Codes that mean "the token you sent is no good" (RFC 6750 error="invalid_token"). */
const INVALID_TOKEN_CODES = new Set<ErrorCode>(['invalid_token', 'token_expired', 'token_revoked']);

/**
 * RFC 6750 §3: a 401 for Bearer credentials names the realm and, when a token was sent and
 * refused, the reason. `detail` is public already; quotes and backslashes are dropped so it
 * cannot break out of the header's quoted string.
 */
function bearerChallenge(error: DomainError): string {
  const realm = 'Bearer realm="tessera"';
  const description = `error_description="${error.detail.replace(/["\\]/g, '')}"`;
  // RFC 9470 (step-up): the token is fine, the sign-in behind it is not recent enough, so a
  // client must not refresh and retry (a refresh keeps auth_time) but ask the user to prove it.
  if (error.code === 'reauth_required') return `${realm}, error="insufficient_user_authentication", ${description}`;
  if (!INVALID_TOKEN_CODES.has(error.code)) return realm;
  return `${realm}, error="invalid_token", ${description}`;
}

/**
 * The response headers an error implies: Retry-After for limits and for a database outage
 * (lib/database-unavailable.ts), a challenge for refused credentials.
 */
function problemHeaders(error: DomainError, status: number): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
  if (error.scheme === 'Bearer' && status === 401) headers['WWW-Authenticate'] = bearerChallenge(error);
  if (error.scheme === 'Basic' && status === 401) headers['WWW-Authenticate'] = 'Basic realm="tessera"';
  // RFC 6750 §3.1: a token that is fine but lacks a scope is a 403 with its own challenge.
  if (error.scheme === 'Bearer' && error.code === 'insufficient_scope')
    headers['WWW-Authenticate'] = 'Bearer realm="tessera", error="insufficient_scope"';
  // A token from a login without the methods needed: RFC 9470's error name, in the contract's 403.
  if (error.scheme === 'Bearer' && error.code === 'mfa_required')
    headers['WWW-Authenticate'] = 'Bearer realm="tessera", error="insufficient_user_authentication"';
  return headers;
}

/**
 * Why a refused credential was refused, for the request's log line only: the error's private
 * reason, else, for a 401, its detail (a token's says which check failed; all are public anyway).
 */
const logReason = (error: DomainError, status: number): string | undefined => error.reason ?? (status === 401 ? error.detail : undefined);

/** Writes an RFC 9457 problem document. Only the error's public parts are sent. */
export function sendProblem(res: Response, error: DomainError): void {
  const status = statusOf(error.code, error.scheme === 'Bearer');
  noteProblem(res, error.code, logReason(error, status));
  for (const [name, value] of Object.entries(problemHeaders(error, status))) res.setHeader(name, value);
  const body: Record<string, unknown> = {
    type: `https://tessera.dev/problems/${error.code.replaceAll('_', '-')}`,
    title: titleFor(status),
    status,
    detail: error.detail,
    code: error.code,
  };
  if (error.errors) body.errors = error.errors;
  res.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}
