import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../lib/private-files.ts';
import type { MailTransport } from './mail.ts';

/** A connection or greeting that takes longer is a failure (and retried), never a hung request. */
const SMTP_TIMEOUT_MS = 10_000;

/**
 * nodemailer over SMTP_URL: `smtps://` is TLS from the first byte; `smtp://` upgrades with
 * STARTTLS when the server offers it (nodemailer's default), so credentials are not sent in
 * the clear to a server that supports TLS.
 */
export function smtpTransport(url: string, from: string): MailTransport {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: 2 * SMTP_TIMEOUT_MS,
  });
  const parsed = new URL(url);
  return {
    async send(mail) {
      await transport.sendMail({ ...mail, from });
    },
    describe: () => `${parsed.protocol}//${parsed.hostname}:${parsed.port || (parsed.protocol === 'smtps:' ? 465 : 587)}`,
    close: () => transport.close(),
  };
}

/** Without SMTP_URL: each mail becomes a `.eml` file (0600: it holds a live link) in `dir` (0700). */
export function outboxTransport(dir: string, from: string): MailTransport {
  let ready = false;
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      if (!ready) ensurePrivateDir(dir); // at the first mail, not at start: many runs never send one
      ready = true;
      const info = await builder.sendMail({ ...mail, from });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`;
      await writeFile(join(dir, name), info.message as Buffer, { mode: PRIVATE_FILE_MODE });
    },
    describe: () => dir,
    close: () => {},
  };
}

export function createMailTransport(config: { mail: { smtpUrl?: string | undefined; from: string; outboxDir: string } }): MailTransport {
  const { smtpUrl, from, outboxDir } = config.mail;
  return smtpUrl ? smtpTransport(smtpUrl, from) : outboxTransport(outboxDir, from);
}
