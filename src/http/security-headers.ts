import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/** The CSP and resource policy of an API that serves JSON: nothing may load, frame or embed it. */
export const HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginResourcePolicy: { policy: 'same-site' },
};

/**
 * helmet's headers, worked out once at start rather than by its dozen middlewares on every
 * request: with these options every value is a constant (no per-request nonce), so one pass
 * over a list sets the same headers. helmet stays the source of the values and their defaults.
 */
export function securityHeaders(options: Readonly<HelmetOptions> = HELMET_OPTIONS): RequestHandler {
  const csp = options.contentSecurityPolicy;
  const directives = typeof csp === 'object' ? Object.values(csp.directives ?? {}) : [];
  if (directives.some((value) => typeof value === 'function' || (Array.isArray(value) && value.some((v) => typeof v === 'function')))) {
    throw new Error('securityHeaders: a CSP directive computed per request (a nonce, say) cannot be worked out once');
  }
  const headers: [string, string][] = [];
  const probe = {
    setHeader: (name: string, value: string) => void headers.push([name, value]),
    removeHeader: () => undefined,
  };
  let finished = false;
  // helmet writes only through setHeader/removeHeader and calls next() synchronously.
  helmet(options)({} as never, probe as never, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error('helmet failed', { cause: error });
    finished = true;
  });
  if (!finished || headers.length === 0) throw new Error('helmet did not set its headers synchronously');
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
