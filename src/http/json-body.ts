import express, { type RequestHandler } from 'express';
import { DomainError } from '../lib/errors.ts';

const BODY_LIMIT = '16kb';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const isJsonType = (contentType: string | undefined): boolean => !!contentType && JSON_TYPE.test(contentType);

const hasBody = (headers: Record<string, unknown>): boolean =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;

/**
 * JSON endpoints accept `application/json` (or `+json`) and nothing else: a form or
 * text/plain body — what a cross-site form can send without a preflight — gets 415,
 * even when empty. A bodyless request with no content type is fine (logout, refresh by cookie).
 */
const requireJson: RequestHandler = (req, _res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') {
    next();
    return;
  }
  const contentType = req.headers['content-type'];
  if (contentType === undefined ? hasBody(req.headers) : !isJsonType(contentType)) {
    next(new DomainError('unsupported_media_type', 'Send the body as application/json.'));
    return;
  }
  next();
};

export const jsonBody = (): RequestHandler[] => [
  requireJson,
  express.json({ limit: BODY_LIMIT, strict: true, type: (req) => isJsonType(req.headers['content-type']) }),
];
