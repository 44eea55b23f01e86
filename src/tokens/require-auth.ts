import type { Request, RequestHandler } from 'express';
import { bearerFailure } from '../lib/errors.ts';
import type { AccessClaims, VerifiedClaims } from './claims.ts';
import { TokenError } from './token-error.ts';

declare global {
  // The same declaration as the library's (express/authed.ts, which carries it to consumers); the
  // two must stay identical. The server's endpoints read Tessera's own claims (http/endpoint.ts):
  // its requireAuth verifies only those.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The verified access-token claims, set by requireAuth; undefined on a route it does not
       * guard. In a handler wrapped in `authed(...)` it is always there.
       */
      auth?: VerifiedClaims;
    }
  }
}

/** What every verifier's claims have: `roles` (for requireRole) and `exp`. */
type Claims = { roles: string[]; exp: number };

export interface AuthenticateOptions<C extends Claims = AccessClaims> {
  /** Synchronous verification; throws TokenError. */
  verify(token: string): C;
  /** Revocation check run on every request, after verification (and after any cache). */
  isRevoked?(claims: C): boolean;
  /** Called once for a token whose `kid` is unknown (the token is passed); resolves true if keys were reloaded. */
  reloadKeys?(token: string): Promise<boolean>;
}

const BEARER = /^Bearer +([^\s]+) *$/i;

/** The token of an `Authorization: Bearer` header, or undefined. */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  return BEARER.exec(header)?.[1] ?? '';
}

function toFailure(error: unknown) {
  if (!(error instanceof TokenError)) return error;
  if (error.reason === 'expired') return bearerFailure('token_expired', 'The access token has expired.');
  if (error.reason === 'revoked') return bearerFailure('token_revoked', 'The access token has been revoked.');
  return bearerFailure('invalid_token', error.detail);
}

/**
 * requireAuth: the Bearer check shared by the server's routes and the resource-server
 * library. The common path is synchronous; only a token signed by a key this process
 * has not seen yet waits for one (rate-limited) key reload.
 */
export function createRequireAuth<C extends Claims = AccessClaims>(options: AuthenticateOptions<C>): RequestHandler {
  const check = (req: Request, token: string): void => {
    const claims = options.verify(token);
    if (options.isRevoked?.(claims)) throw new TokenError('revoked', 'The access token has been revoked.');
    // Tessera's claims (an interface, without VerifiedClaims' index signature) or another issuer's.
    req.auth = claims as unknown as VerifiedClaims;
  };

  return (req, _res, next) => {
    const token = bearerToken(req);
    if (token === undefined) return next(bearerFailure('missing_token', 'This endpoint needs a Bearer access token.'));
    if (token === '') return next(bearerFailure('invalid_token', 'The Authorization header is not a Bearer token.'));
    try {
      check(req, token);
      return next();
    } catch (error) {
      if (!(error instanceof TokenError && error.reason === 'unknown_key' && options.reloadKeys)) {
        return next(toFailure(error));
      }
    }
    return options.reloadKeys(token).then(
      () => {
        try {
          check(req, token);
          next();
        } catch (error) {
          next(toFailure(error));
        }
      },
      (error: unknown) => next(error),
    );
  };
}
