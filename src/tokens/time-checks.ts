import { TokenError } from './token-error.ts';

/**
 * `exp` and `nbf` against the injected clock with the configured leeway (fast-jwt's own
 * checks read the system clock, which tests cannot move).
 */
export function checkTimes(payload: { exp?: unknown; nbf?: unknown }, nowMs: number, toleranceSeconds: number): void {
  const now = nowMs / 1000;
  if (typeof payload.exp !== 'number' || payload.exp <= now - toleranceSeconds) {
    throw new TokenError('expired', 'The token has expired.');
  }
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now + toleranceSeconds)) {
    throw new TokenError('invalid', 'The token is not valid yet.');
  }
}
