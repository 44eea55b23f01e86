import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mail } from './mail.ts';

/** The values a template may use, as {{name}}; HTML templates get them escaped. */
export interface MailValues {
  email: string;
  link?: string;
  newEmail?: string;
  expiresIn?: string;
  appUrl: string;
}

interface Template {
  subject: string;
  text: string;
  html: string;
}

const p = (text: string) => `<p>${text}</p>`;
const button = `<p><a href="{{link}}" style="display:inline-block;padding:10px 16px;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:6px">`;
const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#111;max-width:36rem;margin:2rem auto;padding:0 1rem">${body}` +
  `<p style="color:#555;font-size:0.9em">{{appUrl}}</p></body></html>`;
const linkLine = '<p style="font-size:0.9em;word-break:break-all">Or open this address: <a href="{{link}}">{{link}}</a></p>';

/** The built-in templates. Plain text first: it is what every client can show. */
const BUILT_IN = {
  'verify-email': {
    subject: 'Confirm your email address',
    text: 'Confirm that {{email}} is your address by opening this link (valid for {{expiresIn}}):\n\n{{link}}\n\nIf you did not create an account, ignore this mail.\n',
    html: page(
      'Confirm your email address',
      p('Confirm that <strong>{{email}}</strong> is your address (the link is valid for {{expiresIn}}).') +
        `${button}Confirm my address</a></p>${linkLine}` +
        p('If you did not create an account, ignore this mail.'),
    ),
  },
  'signup-exists': {
    subject: 'Someone tried to sign up with your address',
    text: 'Someone tried to create an account with {{email}}, which already has one. If it was you, log in or reset your password at {{appUrl}}/reset-password. Otherwise, ignore this mail: nothing has changed.\n',
    html: page(
      'Someone tried to sign up with your address',
      p('Someone tried to create an account with <strong>{{email}}</strong>, which already has one.') +
        p('If it was you, log in, or reset your password. Otherwise, ignore this mail: nothing has changed.'),
    ),
  },
  'reset-password': {
    subject: 'Reset your password',
    text: 'Someone asked to reset the password of {{email}}. To choose a new one, open this link (valid for {{expiresIn}}):\n\n{{link}}\n\nIf it was not you, ignore this mail: your password stays as it is.\n',
    html: page(
      'Reset your password',
      p('Someone asked to reset the password of <strong>{{email}}</strong> (the link is valid for {{expiresIn}}).') +
        `${button}Choose a new password</a></p>${linkLine}` +
        p('If it was not you, ignore this mail: your password stays as it is.'),
    ),
  },
  'password-changed': {
    subject: 'Your password was reset',
    text: 'The password of {{email}} was just reset, and every session was logged out. If it was not you, reset it again at once and contact us.\n',
    html: page(
      'Your password was reset',
      p('The password of <strong>{{email}}</strong> was just reset, and every session was logged out.') +
        p('If it was not you, reset it again at once and contact us.'),
    ),
  },
  'confirm-email-change': {
    subject: 'Confirm your new email address',
    text: 'Confirm that {{newEmail}} should become the address of your account by opening this link (valid for {{expiresIn}}):\n\n{{link}}\n\nIf you did not ask for this, ignore this mail.\n',
    html: page(
      'Confirm your new email address',
      p('Confirm that <strong>{{newEmail}}</strong> should become the address of your account (the link is valid for {{expiresIn}}).') +
        `${button}Confirm the new address</a></p>${linkLine}` +
        p('If you did not ask for this, ignore this mail.'),
    ),
  },
  'email-change-notice': {
    subject: 'Your account’s email address is being changed',
    text: 'Someone logged in to your account ({{email}}) asked to change its address to {{newEmail}}. It changes once the link sent there is opened. If it was not you, change your password now.\n',
    html: page(
      'Your account’s email address is being changed',
      p('Someone logged in to your account (<strong>{{email}}</strong>) asked to change its address to <strong>{{newEmail}}</strong>.') +
        p('It changes once the link sent there is opened. If it was not you, change your password now.'),
    ),
  },
  'email-taken-notice': {
    subject: 'Someone tried to use your email address',
    text: 'Someone tried to move another account to {{email}}, which already has an account. Nothing has changed; if it was you, log in with this address instead.\n',
    html: page(
      'Someone tried to use your email address',
      p('Someone tried to move another account to <strong>{{email}}</strong>, which already has an account.') +
        p('Nothing has changed; if it was you, log in with this address instead.'),
    ),
  },
  'email-changed-notice': {
    subject: 'Your account’s email address was changed',
    text: 'The address of your account was changed from {{email}} to {{newEmail}}. Mail about the account now goes there. If it was not you, contact us at once.\n',
    html: page(
      'Your account’s email address was changed',
      p('The address of your account was changed from <strong>{{email}}</strong> to <strong>{{newEmail}}</strong>.') +
        p('Mail about the account now goes there. If it was not you, contact us at once.'),
    ),
  },
  'password-change-notice': {
    subject: 'Your password was changed',
    text: 'The password of {{email}} was just changed, and every other session was logged out. If it was not you, reset your password at once from the login page.\n',
    html: page(
      'Your password was changed',
      p('The password of <strong>{{email}}</strong> was just changed, and every other session was logged out.') +
        p('If it was not you, reset your password at once from the login page.'),
    ),
  },
  'password-reset-factors-removed': {
    subject: 'Your password was reset and two-factor authentication removed',
    text: 'The password of {{email}} was just reset, and every session was logged out. The address had never been confirmed, so the two-factor authentication set up on the account was removed: whoever set it up may not have been you. Set it up again once you are logged in. If the reset was not you, reset the password again at once and contact us.\n',
    html: page(
      'Your password was reset and two-factor authentication removed',
      p('The password of <strong>{{email}}</strong> was just reset, and every session was logged out.') +
        p(
          'The address had never been confirmed, so the two-factor authentication set up on the account was removed: whoever set it up may not have been you. Set it up again once you are logged in.',
        ) +
        p('If the reset was not you, reset the password again at once and contact us.'),
    ),
  },
  'mfa-enabled-notice': {
    subject: 'Two-factor authentication was turned on',
    text: 'Two-factor authentication was just turned on for {{email}}: logging in now needs a code from an authenticator app. If it was not you, reset your password at once and contact us.\n',
    html: page(
      'Two-factor authentication was turned on',
      p(
        'Two-factor authentication was just turned on for <strong>{{email}}</strong>: logging in now needs a code from an authenticator app.',
      ) + p('If it was not you, reset your password at once and contact us.'),
    ),
  },
  'mfa-disabled-notice': {
    subject: 'Two-factor authentication was turned off',
    text: 'Two-factor authentication was just turned off for {{email}}: logging in needs the password alone. If it was not you, reset your password at once and contact us.\n',
    html: page(
      'Two-factor authentication was turned off',
      p('Two-factor authentication was just turned off for <strong>{{email}}</strong>: logging in needs the password alone.') +
        p('If it was not you, reset your password at once and contact us.'),
    ),
  },
  'mfa-reset-notice': {
    subject: 'An administrator removed your two-factor authentication',
    text: 'An administrator removed the two-factor authentication of {{email}} and logged out every session: logging in needs the password alone until you set it up again. If you did not ask for this, contact us at once.\n',
    html: page(
      'An administrator removed your two-factor authentication',
      p(
        'An administrator removed the two-factor authentication of <strong>{{email}}</strong> and logged out every session: logging in needs the password alone until you set it up again.',
      ) + p('If you did not ask for this, contact us at once.'),
    ),
  },
} satisfies Record<string, Template>;

export type TemplateName = keyof typeof BUILT_IN;
export const TEMPLATE_NAMES = Object.keys(BUILT_IN) as TemplateName[];

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const fill = (template: string, values: MailValues, escape: (v: string) => string) =>
  template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = (values as unknown as Record<string, string | undefined>)[name];
    return value === undefined ? whole : escape(value);
  });

/** `<name>.txt` is "Subject: …", a blank line, then the body; `<name>.html` is optional. */
function readOverride(dir: string, name: TemplateName, builtIn: Template): Template | undefined {
  const textFile = join(dir, `${name}.txt`);
  const htmlFile = join(dir, `${name}.html`);
  if (!existsSync(textFile)) {
    if (existsSync(htmlFile)) throw new Error(`${htmlFile} needs ${name}.txt beside it (every mail has a plain-text part)`);
    return undefined;
  }
  const match = /^Subject: *(.+)\r?\n\r?\n([\s\S]*)$/.exec(readFileSync(textFile, 'utf8'));
  if (!match?.[1] || match[2] === undefined) throw new Error(`${textFile} must start with "Subject: …" and a blank line`);
  return { subject: match[1].trim(), text: match[2], html: existsSync(htmlFile) ? readFileSync(htmlFile, 'utf8') : builtIn.html };
}

/**
 * The mails Tessera sends. An operator replaces any of them with files in MAIL_TEMPLATES_DIR
 * (read once at start; a malformed file stops start-up rather than sending broken mail).
 */
export function createTemplates(dir?: string) {
  const templates = new Map<TemplateName, Template>();
  for (const name of TEMPLATE_NAMES) templates.set(name, (dir && readOverride(dir, name, BUILT_IN[name])) || BUILT_IN[name]);
  return {
    render(name: TemplateName, to: string, values: MailValues): Mail {
      const t = templates.get(name) ?? BUILT_IN[name];
      const plain = (v: string) => v.replace(/[\r\n]+/g, ' ');
      return { to, subject: fill(t.subject, values, plain), text: fill(t.text, values, (v) => v), html: fill(t.html, values, escapeHtml) };
    },
  };
}

export type Templates = ReturnType<typeof createTemplates>;
