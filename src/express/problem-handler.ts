import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import { sendProblem } from '../http/problem.ts';
import { DomainError } from '../lib/errors.ts';
import type { FeedLogger } from './revocation-options.ts';

/** Where problemHandler reports unknown errors: pino's signature, so a pino logger can be passed as is. */
export type ProblemLogger = Pick<FeedLogger, 'error'>;

export interface ProblemHandlerOptions {
  /** Default: one console.error line (`tessera-auth: …` and the error as JSON, its stack included). */
  logger?: ProblemLogger;
}

/** body-parser's (express.json(), express.urlencoded()…) error types that have a contract code. */
const BODY_PARSER_ERRORS: Record<string, { code: string; detail: string }> = {
  'entity.parse.failed': { code: 'malformed_json', detail: 'The request body is not valid JSON.' },
  'entity.too.large': { code: 'payload_too_large', detail: 'The request body is too large.' },
  'encoding.unsupported': { code: 'unsupported_media_type', detail: 'The request body encoding is not supported.' },
  'charset.unsupported': { code: 'unsupported_media_type', detail: 'The request body charset is not supported.' },
};

/** The contract's code for a status, where it has one; else the status's name in snake_case (401 unauthorized). */
const CODE_OF_STATUS: Record<number, string> = {
  400: 'validation_failed',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

const titleOf = (status: number): string => STATUS_CODES[status] ?? 'Error';
const codeOf = (status: number): string =>
  CODE_OF_STATUS[status] ??
  titleOf(status)
    .toLowerCase()
    .replace(/'/g, '')
    .replace(/[^a-z0-9]+/g, '_');

/** An error another middleware gave an HTTP status of 400–499 (`status` or `statusCode`, as http-errors and Express read them). */
interface HttpError {
  status: number;
  type?: unknown;
  message?: unknown;
  expose?: unknown;
  headers?: unknown;
}

function asClientError(error: unknown): HttpError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 400 || value > 499) return undefined;
  // An Error's message is not an own enumerable property: the spread alone would lose it.
  return { ...error, status: value, message: (error as { message?: unknown }).message };
}

/**
 * The error as problem+json with its own status. Its message is shown only when it says so
 * (`expose: true`, as http-errors marks 4xx messages safe for clients); its `headers` (e.g. another
 * auth library's WWW-Authenticate) are sent, as Express's own final handler does.
 */
function sendClientError(res: Response, error: HttpError): void {
  const known = typeof error.type === 'string' ? BODY_PARSER_ERRORS[error.type] : undefined;
  const code = known?.code ?? codeOf(error.status);
  const exposed = error.expose === true && typeof error.message === 'string' && error.message.length > 0 ? error.message : undefined;
  const detail = known?.detail ?? exposed ?? `The request was refused (${error.status} ${titleOf(error.status)}).`;
  if (typeof error.headers === 'object' && error.headers !== null) {
    for (const [name, value] of Object.entries(error.headers)) if (typeof value === 'string') res.setHeader(name, value);
  }
  const body = {
    type: `https://tessera.dev/problems/${code.replaceAll('_', '-')}`,
    title: titleOf(error.status),
    status: error.status,
    detail,
    code,
  };
  res.status(error.status).type('application/problem+json').send(JSON.stringify(body));
}

/** Errors as JSON: their name, message and stack (JSON.stringify gives `{}` for an Error). */
const withErrors = (_key: string, value: unknown): unknown =>
  value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;

const consoleLogger: ProblemLogger = {
  error: (obj, msg) => console.error(`tessera-auth: ${msg} ${JSON.stringify(obj, withErrors)}`),
};

/**
 * Renders errors as problem+json: Tessera's (requireAuth, requireRole…) with their code, status and
 * headers; another middleware's HTTP error (a 4xx `status`/`statusCode`: a body parser's 400 or
 * 413, another auth library's 401) with its own status; anything else as a bare 500, logged first.
 */
export function problemHandler(options: ProblemHandlerOptions = {}): ErrorRequestHandler {
  const logger = options.logger ?? consoleLogger;
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof DomainError) return sendProblem(res, error);
    const clientError = asClientError(error);
    if (clientError) return sendClientError(res, clientError);
    logger.error({ err: error, method: req.method, path: req.path }, `unhandled error, answered 500: ${req.method} ${req.path}`);
    sendProblem(res, new DomainError('internal_error', 'Something went wrong.'));
  };
}
