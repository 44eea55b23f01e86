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
  | 'insufficient_scope'
  | 'csrf_failed'
  | 'rate_limited'
  | 'not_found'
  | 'internal_error'
  | 'last_admin'
  | 'invalid_client'
  | 'invalid_link'
  | 'email_unverified'
  | 'mfa_required'
  | 'invalid_mfa_code'
  | 'unavailable'
  | 'reauth_required'
  | 'cookie_conflict'
  | 'method_not_allowed';

export interface FieldProblem {
  path: string;
  message: string;
}

/** The credential scheme whose credentials were missing or refused (the edge answers with its challenge). */
export type AuthScheme = 'Bearer' | 'Basic';

/**
 * What every use case throws for an expected failure: a stable `code`, a public `detail`
 * (safe to show), and a private `cause` that is only logged. No HTTP status or header: the
 * HTTP edge (http/problem.ts) maps the code in one place, as node-oidc-provider and
 * SuperTokens keep protocol errors apart from transport.
 */
export class DomainError extends Error {
  override name = 'DomainError';
  readonly errors: FieldProblem[] | undefined;
  /** For rate_limited: when the caller may try again. */
  readonly retryAfterSeconds: number | undefined;
  /** Set when the failure is about credentials presented under this scheme. */
  readonly scheme: AuthScheme | undefined;
  /**
   * Why, for the operator: the request's log line carries it, a response never does (an unknown
   * email and a wrong password answer alike, but the log tells them apart).
   */
  readonly reason: string | undefined;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    options: {
      cause?: unknown;
      errors?: FieldProblem[];
      retryAfterSeconds?: number;
      scheme?: AuthScheme;
      reason?: string | undefined;
    } = {},
  ) {
    super(detail, { cause: options.cause });
    this.errors = options.errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.scheme = options.scheme;
    this.reason = options.reason;
  }
}

export const validationFailed = (errors: FieldProblem[], detail = 'The request has invalid fields.') =>
  new DomainError('validation_failed', detail, { errors });

export const notFound = (detail = 'Nothing is here.') => new DomainError('not_found', detail);

/** A declared path asked with a method it does not serve (the edge adds the Allow header). */
export const methodNotAllowed = (method: string, allowed: readonly string[]) =>
  new DomainError('method_not_allowed', `${method} is not served here; use ${allowed.join(', ')}.`);

/** `reason` (unknown_email, wrong_password) reaches the log line only: the answer is the same for both. */
export const invalidCredentials = (reason?: string) =>
  new DomainError('invalid_credentials', 'The email or password is wrong.', { reason });

export const accountDisabled = (reason?: string) => new DomainError('account_disabled', 'This account is disabled.', { reason });

export const emailTaken = () => new DomainError('email_taken', 'An account with this email already exists.');

export const csrfFailed = (detail = 'The CSRF token is missing or does not match.') => new DomainError('csrf_failed', detail);

export const insufficientRole = () => new DomainError('insufficient_role', 'This resource needs a role the token does not carry.');

export const lastAdmin = () =>
  new DomainError('last_admin', 'This is the last enabled admin: it can neither lose the admin role nor be disabled.');

export const rateLimited = (retryAfterSeconds: number, reason?: string) =>
  new DomainError('rate_limited', 'Too many requests; try again later.', { retryAfterSeconds, reason });

/** A refresh token that cannot be used (it came in a body or a cookie: no Bearer challenge). */
export const refreshFailed = (code: 'missing_token' | 'invalid_token' | 'token_expired' | 'refresh_reused', detail: string) =>
  new DomainError(code, detail);

/** A Bearer credential that is missing or refused (RFC 6750). */
export const bearerFailure = (code: 'missing_token' | 'invalid_token' | 'token_expired' | 'token_revoked', detail: string) =>
  new DomainError(code, detail, { scheme: 'Bearer' });

export const unavailable = (detail: string, cause?: unknown) => new DomainError('unavailable', detail, { cause });

/** A service client's HTTP Basic credentials are missing or wrong (RFC 6749 §5.2). */
export const invalidClient = (detail = 'The client credentials are missing or wrong.') =>
  new DomainError('invalid_client', detail, { scheme: 'Basic' });

/** A mailed link that is unknown, used, expired, or no longer matches the account. */
export const invalidLink = () => new DomainError('invalid_link', 'This link is invalid, expired or already used. Ask for a new one.');

export const emailUnverified = () =>
  new DomainError('email_unverified', 'Confirm your email address first: follow the link we sent, or ask for a new one.');

/** A second-factor code (TOTP or recovery code) that is wrong, expired or already used. */
export const invalidMfaCode = () => new DomainError('invalid_mfa_code', 'The code is wrong, expired or already used.');

/** A valid access token from a login that did not prove the methods a resource needs (`amr`). */
export const mfaRequired = (methods: readonly string[]) =>
  new DomainError('mfa_required', `This resource needs a login with multi-factor authentication (amr: ${methods.join(', ')}).`, {
    scheme: 'Bearer',
  });

/** A sensitive change without fresh proof of the user (the current password, or a recent sign-in). */
export const reauthRequired = (detail = 'Confirm it is you: send your current password (currentPassword) with this request.') =>
  new DomainError('reauth_required', detail);

/**
 * The refresh or CSRF cookie came twice (a sibling host may have set a second one): which is ours
 * cannot be told. `cleared`: a stale host-only copy was expired (only with COOKIE_DOMAIN).
 */
export const cookieConflict = (name: string, cleared: boolean) =>
  new DomainError(
    'cookie_conflict',
    cleared
      ? `The ${name} cookie was sent more than once; a stale copy has been cleared. Try again.`
      : `The ${name} cookie was sent more than once, and which one is this site's cannot be told. Clear this site's cookies and log in again.`,
  );
