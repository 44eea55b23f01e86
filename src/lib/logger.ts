import { pino, stdSerializers, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { batchedOutput } from './batched-output.ts';

/**
 * Paths that may hold secrets in anything we log. Request bodies and headers are never
 * logged whole, but redaction keeps a mistake from leaking a token or password.
 */
const REDACT_PATHS = [
  'password',
  '*.password',
  'currentPassword',
  'newPassword',
  'token',
  '*.token',
  'accessToken',
  'refreshToken',
  '*.accessToken',
  '*.refreshToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

/** An email address anywhere in a string (`x@y`, `<x@y>`, `(email)=(x@y)`); not `…/@scope/…` in a stack's paths. */
const ADDRESS = /[^\s<>()[\]{},;:"'`/\\@]+@[^\s<>()[\]{},;:"'`/\\@]+/g;

const withoutAddresses = (value: unknown, depth = 0): unknown => {
  if (typeof value === 'string') return value.replace(ADDRESS, '[address]');
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => withoutAddresses(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutAddresses(item, depth + 1)]));
};

/**
 * pino's error serializer without what no log line may carry (v3): an email address, which a
 * database error's detail ("Key (email)=(x@y) already exists") or a message may quote, and a mail
 * server's reply text. nodemailer's errors repeat the reply in `message`, `stack`, `response` and
 * `rejectedErrors`; of those errors only the codes are kept. mail/delivery.ts logs no error
 * object at all; this holds for any line that does.
 */
export function serializeError(error: unknown): unknown {
  const { responseCode, code } = (typeof error === 'object' && error !== null ? error : {}) as { responseCode?: unknown; code?: unknown };
  if (typeof responseCode === 'number') {
    return { type: error instanceof Error ? error.name : typeof error, code: typeof code === 'string' ? code : undefined, responseCode };
  }
  return withoutAddresses(stdSerializers.err(error as Error));
}

/**
 * JSON lines for a log pipeline, or (`pretty`, the development default) one readable line per
 * event. pino-pretty runs in this thread (`sync`), so a crash cannot lose the last lines.
 * `batched` (the server's JSON lines): written once per turn of the event loop (batched-output.ts).
 */
export function createLogger(
  level: string,
  destination?: NodeJS.WritableStream,
  options: { pretty?: boolean; batched?: boolean } = {},
): Logger {
  const stream = options.pretty
    ? pretty({
        sync: true,
        colorize: Boolean((destination ?? process.stdout) === process.stdout && process.stdout.isTTY),
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,service,req,res,responseTime',
        singleLine: true,
        destination: destination ?? process.stdout,
      })
    : options.batched
      ? batchedOutput(destination ?? process.stdout)
      : (destination ?? process.stdout);
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, serializers: { err: serializeError }, base: { service: 'tessera' } },
    stream,
  );
}
