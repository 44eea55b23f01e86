/** The contract's stable error codes. */
export type ErrorCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'email_taken'
  | 'invalid_credentials'
  | 'account_disabled'
  | 'missing_token'
  | 'invalid_token'
  | 'token_expired'
  | 'token_revoked'
  | 'refresh_reused'
  | 'insufficient_role'
  | 'csrf_failed'
  | 'rate_limited'
  | 'not_found'
  | 'internal_error'
  | 'last_admin';

export interface FieldProblem {
  path: string;
  message: string;
}

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

/**
 * The one error type routes throw. `detail` is public; `cause` is private and only logged.
 * The error handler turns it into problem+json.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    readonly detail: string,
    options: { cause?: unknown; errors?: FieldProblem[]; headers?: Record<string, string> } = {},
  ) {
    super(detail, { cause: options.cause });
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
  readonly errors: FieldProblem[] | undefined;
  readonly headers: Record<string, string>;
}

export const validationFailed = (errors: FieldProblem[], detail = 'The request has invalid fields.') =>
  new AppError(400, 'validation_failed', detail, { errors });

export const notFound = (detail = 'Nothing is here.') => new AppError(404, 'not_found', detail);

export const invalidCredentials = () => new AppError(401, 'invalid_credentials', 'The email or password is wrong.');

export const accountDisabled = () => new AppError(403, 'account_disabled', 'This account is disabled.');

export const csrfFailed = (detail = 'The CSRF token is missing or does not match.') =>
  new AppError(403, 'csrf_failed', detail);

export const lastAdmin = () =>
  new AppError(409, 'last_admin', 'This is the last enabled admin: it can neither lose the admin role nor be disabled.');

export const insufficientRole = () =>
  new AppError(403, 'insufficient_role', 'This resource needs a role the token does not carry.');

export const rateLimited = (retryAfterSeconds: number) =>
  new AppError(429, 'rate_limited', 'Too many requests; try again later.', {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });

/** Refresh-token failures: 401 without a Bearer challenge (the token came in a body or a cookie). */
export const refreshFailed = (code: 'invalid_token' | 'token_expired' | 'refresh_reused', detail: string) =>
  new AppError(401, code, detail);

const BEARER_REALM = 'Bearer realm="tessera"';

/** RFC 6750 §3: a 401 on a Bearer route names the realm and, for a bad token, the reason. */
export function bearerFailure(code: 'missing_token' | 'invalid_token' | 'token_expired' | 'token_revoked', detail: string) {
  const header =
    code === 'missing_token'
      ? BEARER_REALM
      : `${BEARER_REALM}, error="invalid_token", error_description="${detail.replace(/["\\]/g, '')}"`;
  return new AppError(401, code, detail, { headers: { 'WWW-Authenticate': header } });
}
