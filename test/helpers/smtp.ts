import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpServer {
  /** SMTP_URL for the app: `smtp://127.0.0.1:<port>`. */
  url: string;
  /** Every message received so far, parsed, in arrival order. */
  mails: ParsedMail[];
  /** The first mail (received already or later) that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (mail: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  close(): Promise<void>;
}

/** A reply that refuses a recipient at RCPT TO, as a relay writes it: `550 5.1.1 <x@y>: Recipient address rejected`. */
export interface SmtpRejection {
  code: number;
  message: string;
}

/**
 * A real SMTP server on an ephemeral port of 127.0.0.1 that keeps what it receives. Plain text
 * (no STARTTLS); any login, or none, is accepted, so SMTP_URL may carry credentials or not.
 * `rejectRecipient` may refuse a recipient with a reply of its own (a relay that bounces).
 */
export async function startSmtpServer(
  options: { rejectRecipient?: (address: string) => SmtpRejection | undefined } = {},
): Promise<SmtpServer> {
  const mails: ParsedMail[] = [];
  const arrived = new Set<() => void>();
  const server = new SMTPServer({
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
    onRcptTo(address, _session, callback) {
      const rejection = options.rejectRecipient?.(address.address);
      if (!rejection) return callback();
      // smtp-server answers with the error's responseCode and message.
      callback(Object.assign(new Error(rejection.message), { responseCode: rejection.code }));
    },
    // Parsed before the server answers 250: once the sender's sendMail resolves, the mail is in `mails`.
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          mails.push(mail);
          for (const notify of arrived) notify();
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitFor(predicate, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = mails.find(predicate);
          if (!found) return;
          done();
          resolve(found);
        };
        const timer = setTimeout(() => {
          done();
          const seen = mails.map((m) => `${recipients(m).join(',')}: ${m.subject ?? ''}`);
          reject(new Error(`no matching mail within ${timeoutMs} ms; received: ${JSON.stringify(seen)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          arrived.delete(check);
        };
        arrived.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The addresses in a mail's To header, as written there. */
export function recipients(mail: ParsedMail): string[] {
  const to: AddressObject[] = mail.to === undefined ? [] : ([] as AddressObject[]).concat(mail.to);
  return to.flatMap((group) => group.value.map((address) => address.address ?? ''));
}

/** The http(s) link with `?token=` in the plain-text part (what every mail client shows). */
export function linkIn(mail: ParsedMail): string {
  const link = /https?:\/\/[^\s<>"]+\?token=[^\s<>"]+/.exec(mail.text ?? '')?.[0];
  if (!link) throw new Error(`no link with ?token= in the plain text of "${mail.subject ?? ''}"`);
  return link;
}

/** The `token` of a mailed link (what the page reads from the query string). */
export const tokenOf = (link: string): string => new URL(link).searchParams.get('token') ?? '';

/**
 * The newest mail to `to` whose subject matches, once the app has handed over everything it
 * was sending (`idle()` of its mail delivery); waits for it to arrive.
 */
export async function latestMail(smtp: SmtpServer, delivery: { idle(): Promise<void> }, to: string, subject: RegExp): Promise<ParsedMail> {
  await delivery.idle();
  const matches = (m: ParsedMail) => recipients(m).includes(to) && subject.test(m.subject ?? '');
  await smtp.waitFor(matches);
  return smtp.mails.filter(matches).at(-1)!;
}
