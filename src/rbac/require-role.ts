import type { RequestHandler } from 'express';
import { bearerFailure, insufficientRole } from '../lib/errors.ts';

/** Allows the request if the verified token carries any of `roles`. Use after requireAuth. */
export function requireRole(...roles: string[]): RequestHandler {
  return (req, _res, next) => {
    const held = req.auth?.roles;
    if (!held) return next(bearerFailure('missing_token', 'This endpoint needs a Bearer access token.'));
    if (!roles.some((role) => held.includes(role))) return next(insufficientRole());
    next();
  };
}
