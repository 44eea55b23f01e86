import { pino, type Logger } from 'pino';
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
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'tessera' } }, stream);
}
