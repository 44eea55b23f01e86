import { isIPv4 } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, ipKeyGenerator, type Options, type Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { rateLimited } from '../lib/errors.ts';

const retryAfterSeconds = (req: Request, windowMs: number): number => {
  const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  return Math.max(1, Math.ceil(reset ? (reset.getTime() - Date.now()) / 1000 : windowMs / 1000));
};

const V4_MAPPED = '::ffff:';

/** Where the mail limits find the address a request targets (res.locals). */
const MAIL_TARGET = 'tesseraMailTarget';

/**
 * The counter key of a client address: an IPv4 address as it is, an IPv6 one by its /56
 * (ipKeyGenerator, so one host cannot walk its own prefix). A dual-stack listener sees IPv4
 * clients as `::ffff:a.b.c.d`; those are IPv4 clients and get their IPv4 key. ipKeyGenerator
 * would give the same keys, but parses every address as IPv6 first: a twentieth of a refresh's CPU.
 */
export function clientAddressKey(ip: string | undefined): string {
  if (ip === undefined) return 'unknown';
  if (isIPv4(ip)) return ip;
  if (ip.startsWith(V4_MAPPED) && isIPv4(ip.slice(V4_MAPPED.length))) return ip.slice(V4_MAPPED.length);
  return ipKeyGenerator(ip);
}

export interface RateLimiters {
  /** Every /api/auth request from one client address. (Per-account limits: auth/account-throttle.ts.) */
  perClient: RequestHandler;
  /**
   * The endpoints that send mail, signup's verification mail included: per client address, then
   * per target address, read from the body field the endpoint names (`email`, or `newEmail` for an
   * email change: a caller cannot pick which field is counted), without its `+tag`.
   */
  mail: (field: MailTargetField) => RequestHandler[];
}

/**
 * The counter key of the address a mail-sending request targets: as normalizeEmail
 * (users/email.ts) spells it (http/ stays free of domain imports), and without a `+tag` in the
 * local part. Most providers deliver x+1@, x+2@, … to x@'s inbox, so every tag is that one inbox
 * to flood (red-team finding 4).
 */
export type MailTargetField = 'email' | 'newEmail';

export function mailTargetKey(body: unknown, field: MailTargetField): string {
  const raw = (body ?? {}) as Partial<Record<MailTargetField, unknown>>;
  const value = typeof raw[field] === 'string' ? raw[field] : '';
  const address = value.normalize('NFKC').trim().toLowerCase();
  const at = address.lastIndexOf('@');
  const plus = address.indexOf('+');
  const untagged = plus !== -1 && plus < at ? address.slice(0, plus) + address.slice(at) : address;
  return untagged.slice(0, 320);
}

/**
 * Limits from RATE_LIMIT_*. `makeStore` lets a shared store (Redis) back them; by default
 * the counters live in this process. The client address is req.ip, which honours
 * X-Forwarded-For only when TRUST_PROXY says so.
 */
export function createRateLimiters(config: Config, makeStore?: (prefix: string) => Store, logger?: Logger): RateLimiters {
  const common = (prefix: string): Partial<Options> => ({
    windowMs: config.rateLimit.windowMs,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // A shared store that fails (Redis down, or silent until the command timeout) lets requests
    // through rather than refusing or holding every login.
    ...(makeStore ? { store: makeStore(prefix), passOnStoreError: true } : {}),
    // A store outage is reported once by the Redis client; one line per request would flood the log.
    ...(logger
      ? {
          logger: {
            error: (error: unknown) => logger.debug({ err: error }, 'rate limit store error'),
            warn: (w: unknown) => logger.warn({ err: w }, 'rate limit'),
          },
        }
      : {}),
    handler: (req, _res, next) => next(rateLimited(retryAfterSeconds(req, config.rateLimit.windowMs))),
    // That check reads the key generator's source for `req.ip` without `ipKeyGenerator`; ours
    // calls it through clientAddressKey, which the check cannot see (tested in client-address-key.test.ts).
    validate: { keyGeneratorIpFallback: false },
  });

  // A request refused as malformed (400: a bad address, a weak password) sends no mail, so it does
  // not spend the budget: else five such signups would hold off the real one for a window.
  const mailsOnly: Partial<Options> = { skipFailedRequests: true, requestWasSuccessful: (_req, res) => res.statusCode !== 400 };
  const target = (res: Response): string => String(res.locals[MAIL_TARGET] ?? '');
  // A tenth of the general budget per client, half the failed-login budget per address: enough
  // for a person who mistyped, too little to flood an inbox or a mail server.
  const mailLimiters = [
    rateLimit({
      ...common('tessera:rl:mail-ip:'),
      ...mailsOnly,
      limit: Math.max(1, Math.floor(config.rateLimit.ipMax / 10)),
      keyGenerator: (req) => clientAddressKey(req.ip),
    }),
    rateLimit({
      ...common('tessera:rl:mail-to:'),
      ...mailsOnly,
      limit: Math.max(1, Math.floor(config.rateLimit.accountMax / 2)),
      keyGenerator: (_req, res) => target(res),
      // No address at all (a malformed body) sends no mail: it gets its 400, not a shared bucket's 429.
      skip: (_req, res) => !target(res).includes('@'),
    }),
  ];

  return {
    perClient: rateLimit({
      ...common('tessera:rl:ip:'),
      limit: config.rateLimit.ipMax,
      keyGenerator: (req) => clientAddressKey(req.ip),
    }),
    mail: (field) => [
      (req, res, next) => {
        res.locals[MAIL_TARGET] = mailTargetKey(req.body, field);
        next();
      },
      ...mailLimiters,
    ],
  };
}
