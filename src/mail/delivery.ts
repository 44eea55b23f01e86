import type { Logger } from 'pino';
import type { Mail, MailTransport } from './mail.ts';

/** Waits before each retry: a brief outage (a restarting relay) is ridden out, then we give up. */
export const RETRY_DELAYS_MS = [2_000, 10_000, 30_000];

export type MailOutcome = 'sent' | 'retried' | 'failed';

export interface MailDelivery {
  /**
   * Sends in the background: never awaited by a request, so the answer (and its timing) is the
   * same whether or not a mail goes out, and a mail server that is down changes nothing a
   * client sees. Failures are logged and counted, and retried.
   */
  deliver(mail: Mail, about: { template: string; userId?: string | undefined }): void;
  /**
   * Runs work that may lead to a mail (looking the account up, issuing a link) after the
   * response: a request for a known address then takes the same time as one for an unknown one.
   */
  background(task: () => Promise<void>, what: string): void;
  /** Counts outcomes elsewhere too (the app's /metrics). */
  onOutcome(listener: (outcome: MailOutcome) => void): void;
  /** Resolves when every mail and task handed over so far is done (tests, shutdown). */
  idle(): Promise<void>;
  /** Where mails go, for the start-up line. */
  describe(): string;
  close(): void;
}

/**
 * What the log may say about a failed send: the SMTP reply code (550) and nodemailer's error code
 * (EENVELOPE, ESOCKET), or the error's class. Never the error itself: its message, `response` and
 * `rejected` repeat the mail server's reply, which names the recipient (v3; red-team finding 5).
 */
function failureOf(error: unknown): { smtpCode?: number; error: string } {
  const { responseCode, code } = (typeof error === 'object' && error !== null ? error : {}) as { responseCode?: unknown; code?: unknown };
  const name = error instanceof Error ? error.name : typeof error;
  return {
    ...(typeof responseCode === 'number' ? { smtpCode: responseCode } : {}),
    error: typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,31}$/.test(code) ? code : name,
  };
}

export function createMailDelivery(deps: { transport: MailTransport; logger: Logger; retryDelaysMs?: number[] }): MailDelivery {
  const { transport, logger } = deps;
  const delays = deps.retryDelaysMs ?? RETRY_DELAYS_MS;
  const pending = new Set<Promise<void>>();
  const listeners: ((outcome: MailOutcome) => void)[] = [];
  const count = (outcome: MailOutcome) => {
    for (const listener of listeners) listener(outcome);
  };
  const track = (job: Promise<void>) => {
    const tracked = job.finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      setTimeout(resolve, ms).unref();
    });

  const attempt = async (mail: Mail, about: { template: string; userId?: string | undefined }) => {
    for (let i = 0; ; i += 1) {
      try {
        await transport.send(mail);
        count('sent');
        logger.info({ template: about.template, userId: about.userId }, 'mail sent');
        return;
      } catch (error) {
        const delay = delays[i];
        // The address and the link stay out of the log; the user id says whose mail it was.
        const failure = { template: about.template, userId: about.userId, attempt: i + 1, ...failureOf(error) };
        if (delay === undefined) {
          count('failed');
          logger.error(failure, 'mail not sent; giving up');
          return;
        }
        count('retried');
        logger.warn({ ...failure, retryInMs: delay }, 'mail not sent; retrying');
        await sleep(delay);
      }
    }
  };

  return {
    deliver(mail, about) {
      track(attempt(mail, about));
    },
    background(task, what) {
      track(
        new Promise<void>((resolve) => setImmediate(resolve))
          .then(task)
          .catch((error: unknown) => logger.error({ err: error, task: what }, 'background mail task failed')),
      );
    },
    onOutcome(listener) {
      listeners.push(listener);
    },
    describe: () => transport.describe(),
    close: () => transport.close(),
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
