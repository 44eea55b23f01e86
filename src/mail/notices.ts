import type { MailDelivery } from './delivery.ts';
import type { TemplateName, Templates } from './templates.ts';

/** The mails that tell an account's owner of a security change (no link in them acts on the account). */
export type NoticeTemplate = Extract<
  TemplateName,
  | 'email-change-notice'
  | 'email-changed-notice'
  | 'password-changed'
  | 'password-change-notice'
  | 'password-reset-factors-removed'
  | 'mfa-enabled-notice'
  | 'mfa-disabled-notice'
  | 'mfa-reset-notice'
>;

/**
 * Security notices to an account's own address, the one place every feature sends them from.
 * Never deduplicated: a decoy change must not hide the real one behind it. They go out in the
 * background (MailDelivery), so no answer waits on the mail server.
 */
export function createNotices(deps: { appUrl: string; mail: MailDelivery; templates: Templates }) {
  const { appUrl, mail, templates } = deps;
  return {
    send(template: NoticeTemplate, user: { id: string; email: string }, values: { newEmail?: string } = {}): void {
      mail.deliver(templates.render(template, user.email, { email: user.email, appUrl, ...values }), { template, userId: user.id });
    },
  };
}

export type Notices = ReturnType<typeof createNotices>;
