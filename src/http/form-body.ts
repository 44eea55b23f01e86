import express, { type RequestHandler } from 'express';
import { DomainError } from '../lib/errors.ts';

const BODY_LIMIT = '16kb';
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;
const isFormType = (contentType: string | undefined): boolean => !!contentType && FORM_TYPE.test(contentType);

/**
 * The OAuth endpoints (RFC 7662, RFC 7009) take `application/x-www-form-urlencoded` and nothing
 * else; a JSON body gets 415 there, as a form gets 415 everywhere else. Flat fields only: a
 * repeated field becomes a list and fails validation rather than being silently narrowed.
 */
const requireForm: RequestHandler = (req, _res, next) => {
  if (!isFormType(req.headers['content-type'])) {
    next(new DomainError('unsupported_media_type', 'Send the body as application/x-www-form-urlencoded.'));
    return;
  }
  next();
};

export const formBody = (): RequestHandler[] => [
  requireForm,
  express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 16, type: (req) => isFormType(req.headers['content-type']) }),
];
