import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { databaseUnavailable, isDatabaseUnavailable } from '../lib/database-unavailable.ts';
import { DomainError } from '../lib/errors.ts';
import { sendProblem, STATUS_OF } from './problem.ts';

/** body-parser and router errors carry `type`/`status`; map them to the contract's codes. */
function fromHttpError(error: { type?: unknown; status?: unknown; expose?: unknown }): DomainError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new DomainError('payload_too_large', 'The request body is larger than 16 KiB.');
    case 'entity.parse.failed':
      return new DomainError('malformed_json', 'The request body is not a valid JSON object.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new DomainError('unsupported_media_type', 'The request body encoding is not supported.');
  }
  const status = typeof error.status === 'number' ? error.status : 0;
  if (status >= 400 && status < 500 && error.expose !== false) {
    if (status === 404) return new DomainError('not_found', 'Nothing is here.');
    if (status === 413) return new DomainError('payload_too_large', 'The request is too large.');
    if (status === 415) return new DomainError('unsupported_media_type', 'The request body type is not supported.');
    return new DomainError('validation_failed', 'The request could not be understood.');
  }
  return undefined;
}

/** The contract's error for a thrown value, when it has one. */
function knownError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const http = fromHttpError(error);
  if (http) return http;
  // A database out of reach is a passing state a client can retry (503, Retry-After), not a bug.
  return isDatabaseUnavailable(error) ? databaseUnavailable(error) : undefined;
}

/**
 * The one place errors become responses. Domain errors send their public detail (their private
 * cause is logged for the 5xx ones); a database outage becomes `unavailable`; anything else is
 * logged with its stack and answered with a bare 500.
 */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const known = knownError(error);
    if (known) {
      if (STATUS_OF[known.code] >= 500) logger.error({ err: known.cause ?? known, path: req.path }, known.detail);
      sendProblem(res, known);
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
    sendProblem(res, new DomainError('internal_error', 'Something went wrong on our side.'));
  };
}
