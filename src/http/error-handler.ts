import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, type ErrorCode } from './errors.ts';
import { sendProblem } from './problem.ts';

/** body-parser and router errors carry `type`/`status`; map them to the contract's codes. */
function fromHttpError(error: { type?: unknown; status?: unknown; expose?: unknown }): AppError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', 'The request body is larger than 16 KiB.');
    case 'entity.parse.failed':
      return new AppError(400, 'malformed_json', 'The request body is not a valid JSON object.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_media_type', 'The request body encoding is not supported.');
  }
  const status = typeof error.status === 'number' ? error.status : 0;
  if (status >= 400 && status < 500 && error.expose !== false) {
    const codes: Record<number, ErrorCode> = { 404: 'not_found', 413: 'payload_too_large', 415: 'unsupported_media_type' };
    return new AppError(status, codes[status] ?? 'validation_failed', 'The request could not be understood.');
  }
  return undefined;
}

/**
 * The one place errors become responses. Known errors send their public detail;
 * anything else is logged with its stack and answered with a bare 500.
 */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const known =
      error instanceof AppError
        ? error
        : typeof error === 'object' && error !== null
          ? fromHttpError(error as Record<string, unknown>)
          : undefined;
    if (known) {
      if (known.status >= 500) logger.error({ err: known.cause ?? known, path: req.path }, known.detail);
      sendProblem(res, known);
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
    sendProblem(res, new AppError(500, 'internal_error', 'Something went wrong on our side.'));
  };
}
