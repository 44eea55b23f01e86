import type { RequestHandler } from 'express';
import { statusOf } from '../http/problem.ts';
import { DomainError } from '../lib/errors.ts';

/** The codes of the errors the library passes on (the contract's, stable; tests and clients compare them). */
export type AuthErrorCode =
  | 'missing_token'
  | 'invalid_token'
  | 'token_expired'
  | 'token_revoked'
  | 'insufficient_role'
  | 'insufficient_scope'
  | 'mfa_required'
  | 'unavailable';

type Options = NonNullable<ConstructorParameters<typeof DomainError>[2]>;
const BEARER = { scheme: 'Bearer' } as const;

/**
 * What requireAuth, requireRole, requireScope and requireAmr pass to `next()`: one class per
 * `code`, all of this one, for an error handler of your own (`error instanceof TokenExpiredError`).
 * `detail` is safe to show a client; `cause` (an outage's) is not. problemHandler renders them.
 */
export abstract class TesseraAuthError extends DomainError {
  declare readonly code: AuthErrorCode;
  /** The status problemHandler answers with: 401, 403 or 503. */
  readonly status: number;
  constructor(code: AuthErrorCode, detail: string, options: Options = {}) {
    super(code, detail, options);
    this.status = statusOf(code, options.scheme === 'Bearer');
  }
}

/** 401: no Bearer token was sent. */
export class MissingTokenError extends TesseraAuthError {
  static readonly code = 'missing_token';
  declare readonly code: 'missing_token';
  override name = 'MissingTokenError';
  constructor(detail = 'This endpoint needs a Bearer access token.', options: Options = {}) {
    super('missing_token', detail, { ...options, ...BEARER });
  }
}

/** 401: the token is malformed, signed by an unknown key, or fails a check its `detail` names. */
export class InvalidTokenError extends TesseraAuthError {
  static readonly code = 'invalid_token';
  declare readonly code: 'invalid_token';
  override name = 'InvalidTokenError';
  constructor(detail = 'The access token is invalid.', options: Options = {}) {
    super('invalid_token', detail, { ...options, ...BEARER });
  }
}

/** 401: past its `exp` (beyond the clock tolerance). */
export class TokenExpiredError extends TesseraAuthError {
  static readonly code = 'token_expired';
  declare readonly code: 'token_expired';
  override name = 'TokenExpiredError';
  constructor(detail = 'The access token has expired.', options: Options = {}) {
    super('token_expired', detail, { ...options, ...BEARER });
  }
}

/** 401: its session or the token itself was revoked (the revocation feed, or your isRevoked). */
export class TokenRevokedError extends TesseraAuthError {
  static readonly code = 'token_revoked';
  declare readonly code: 'token_revoked';
  override name = 'TokenRevokedError';
  constructor(detail = 'The access token has been revoked.', options: Options = {}) {
    super('token_revoked', detail, { ...options, ...BEARER });
  }
}

/** 403: requireRole: the token carries none of the roles. */
export class InsufficientRoleError extends TesseraAuthError {
  static readonly code = 'insufficient_role';
  declare readonly code: 'insufficient_role';
  override name = 'InsufficientRoleError';
  constructor(detail = 'This resource needs a role the token does not carry.', options: Options = {}) {
    super('insufficient_role', detail, options);
  }
}

/** 403: requireScope: the token lacks one of the scopes. */
export class InsufficientScopeError extends TesseraAuthError {
  static readonly code = 'insufficient_scope';
  declare readonly code: 'insufficient_scope';
  override name = 'InsufficientScopeError';
  constructor(detail = 'This resource needs a scope the token does not carry.', options: Options = {}) {
    super('insufficient_scope', detail, { ...options, ...BEARER });
  }
}

/** 403: requireAmr (or requireAuth's `amr`): the login did not prove the methods (`amr`) needed. */
export class MfaRequiredError extends TesseraAuthError {
  static readonly code = 'mfa_required';
  declare readonly code: 'mfa_required';
  override name = 'MfaRequiredError';
  constructor(detail = 'This resource needs a login with multi-factor authentication.', options: Options = {}) {
    super('mfa_required', detail, { ...options, ...BEARER });
  }
}

/** 503: the keys, the discovery document or (onStale 'deny') the revocation feed cannot be reached. */
export class AuthUnavailableError extends TesseraAuthError {
  static readonly code = 'unavailable';
  declare readonly code: 'unavailable';
  override name = 'AuthUnavailableError';
  constructor(detail = 'Tokens cannot be checked right now; try again shortly.', options: Options = {}) {
    super('unavailable', detail, options);
  }
}

const CLASS_OF: Record<AuthErrorCode, new (detail: string, options: Options) => TesseraAuthError> = {
  missing_token: MissingTokenError,
  invalid_token: InvalidTokenError,
  token_expired: TokenExpiredError,
  token_revoked: TokenRevokedError,
  insufficient_role: InsufficientRoleError,
  insufficient_scope: InsufficientScopeError,
  mfa_required: MfaRequiredError,
  unavailable: AuthUnavailableError,
};

/** The shared code (tokens/, rbac/) throws plain DomainErrors: the library hands on its own classes. */
export function toAuthError(error: unknown): unknown {
  if (!(error instanceof DomainError) || error instanceof TesseraAuthError || !Object.hasOwn(CLASS_OF, error.code)) return error;
  const { cause, errors, retryAfterSeconds, scheme } = error;
  return new CLASS_OF[error.code as AuthErrorCode](error.detail, {
    cause,
    ...(errors ? { errors } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    ...(scheme ? { scheme } : {}),
  });
}

/** A middleware whose errors (passed to next() or thrown) reach Express as the library's classes. */
export function withAuthErrors(handler: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const forward = (error?: unknown) => (error === undefined ? next() : next(toAuthError(error)));
    try {
      return handler(req, res, forward);
    } catch (error) {
      return next(toAuthError(error));
    }
  };
}
