import { resolve } from 'node:path';
import { bool, duration, text } from './schema.ts';
import { setting } from './setting.ts';

/** Mail and the email flows' settings (settings.ts spreads them in; Config keeps the same shape). */
export const emailSettings = {
  mail: {
    smtpUrl: setting({
      env: 'SMTP_URL',
      type: text.refine((url) => /^smtps?:\/\//.test(url) && URL.canParse(url), 'must be smtp://user:pass@host:port or smtps://…'),
      readme: 'unset (outbox files)',
      meaning: 'mail server: `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465` (TLS)',
    }),
    from: setting({ env: 'MAIL_FROM', type: text, default: 'Tessera <no-reply@localhost>', meaning: 'sender of every mail' }),
    outboxDir: setting({
      env: 'MAIL_OUTBOX_DIR',
      type: text.transform((dir) => resolve(dir)),
      readme: '`DATA_DIR/outbox` (`./data/outbox`)',
      meaning: 'where mails go as `.eml` files without `SMTP_URL` (`0700`)',
    }),
    templatesDir: setting({
      env: 'MAIL_TEMPLATES_DIR',
      type: text.transform((dir) => resolve(dir)),
      meaning: 'your own mail templates (`<name>.txt`, `<name>.html`; see [Email](#email-verification-password-reset-email-change))',
    }),
  },
  appUrl: setting({
    env: 'APP_URL',
    type: text.refine((url) => /^https?:\/\//.test(url) && URL.canParse(url), 'must be an http(s) URL'),
    readme: '`http://localhost:<PORT>` (not in production)',
    meaning:
      'base of the links in mails (`/verify-email`, `/reset-password`, `/confirm-email` are served by Tessera); production refuses to start without an `https://` one',
  }),
  requireEmailVerification: setting({
    env: 'REQUIRE_EMAIL_VERIFICATION',
    type: bool,
    default: 'false',
    meaning: 'unverified accounts cannot log in (`403 email_unverified`); signup answers `202` and does not reveal accounts',
  }),
  linkTtl: {
    verify: setting({
      env: 'VERIFY_LINK_TTL',
      type: duration('ms'),
      default: '24h',
      meaning: 'lifetime of verification and email-change links',
    }),
    reset: setting({ env: 'RESET_LINK_TTL', type: duration('ms'), default: '30m', meaning: 'lifetime of password-reset links' }),
  },
};
