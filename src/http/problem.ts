import type { Response } from 'express';
import { titleFor, type AppError } from './errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Writes an RFC 9457 problem document. Only the error's public parts are sent. */
export function sendProblem(res: Response, error: AppError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  const body: Record<string, unknown> = {
    type: `https://tessera.dev/problems/${error.code.replaceAll('_', '-')}`,
    title: titleFor(error.status),
    status: error.status,
    detail: error.detail,
    code: error.code,
  };
  if (error.errors) body.errors = error.errors;
  res.status(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}
