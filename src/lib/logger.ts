import { pino, type Logger } from 'pino';

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

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'tessera' } },
    destination ?? process.stdout,
  );
}
