import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../lib/clock.ts';
import { NO_CLIENT, type ClientInfo } from '../lib/client-info.ts';
import { emailTaken, invalidLink, validationFailed } from '../lib/errors.ts';
import { sha256 } from '../lib/hash.ts';
import type { MailDelivery } from '../mail/delivery.ts';
import type { TemplateName, Templates } from '../mail/templates.ts';
import type { PasswordHasher } from '../users/password.ts';
import { passwordEmailProblem, passwordProblem } from '../users/password-rules.ts';
import { EmailTakenError, type UserRepository } from '../users/user.repository.ts';
import type { User } from '../users/user.ts';
import type { EmailLinkRepository } from './email-link.repository.ts';
import type { LinkPurpose } from './email-link.table.ts';
import type { Notices } from '../mail/notices.ts';

/** Ends every session of a user (sessions/end-sessions.ts); passed in, so email/ does not write sessions. */
export type EndAllSessions = (target: { userId: string }, reason: 'password_reset') => Promise<string[]>;

/**
 * Removes a user's second factors (mfa/), ending their sessions: whether MFA was on, and how many ended.
 * Passed in, so email/ does not write MFA data itself.
 */
export type RemoveSecondFactors = (userId: string, client: ClientInfo) => Promise<{ wasEnabled: boolean; sessionsEnded: number }>;

/**
 * Mails to an address about an account that is not (or may not be) its own, "someone tried to use
 * your address": at most one per window, so signups cannot be used to flood an inbox. Notices
 * about the account's own security changes are never held back (notices.ts).
 */
const NOTICE_WINDOW_MS = 15 * 60 * 1000;

const PAGE_OF: Record<LinkPurpose, string> = { verify: 'verify-email', reset: 'reset-password', change: 'confirm-email' };

const humanDuration = (ms: number): string => {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} hours` : `${Math.round(hours / 24)} days`;
};

/**
 * The account lifecycle over email: verification, password reset, email change. Links carry
 * 32 random bytes, are stored as SHA-256 only, and are single use. Mails go out in the
 * background (MailDelivery), so no answer waits on, or reveals, what was sent.
 */
export function createAccountEmailService(deps: {
  settings: { appUrl: string; verifyTtlMs: number; resetTtlMs: number; logLinks: boolean };
  users: UserRepository;
  links: EmailLinkRepository;
  passwords: PasswordHasher;
  endSessions: EndAllSessions;
  removeSecondFactors: RemoveSecondFactors;
  notices: Notices;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  mail: MailDelivery;
  templates: Templates;
}) {
  const { settings, users, links, notices, audit, clock, logger, mail, templates } = deps;
  const noticed = new LRUCache<string, true>({ max: 100_000, ttl: NOTICE_WINDOW_MS, ttlAutopurge: false });

  const send = (template: TemplateName, to: string, values: { link?: string; newEmail?: string; expiresIn?: string }, userId?: string) => {
    mail.deliver(templates.render(template, to, { email: to, appUrl: settings.appUrl, ...values }), { template, userId });
  };

  const onceInAWhile = (template: 'signup-exists' | 'email-taken-notice', to: string, userId?: string) => {
    if (noticed.has(`${template}:${to}`)) return;
    noticed.set(`${template}:${to}`, true);
    send(template, to, {}, userId);
  };

  /** A new link (older ones of the same purpose stop working); mailed with `template`. */
  const issueLink = async (
    user: User,
    purpose: LinkPurpose,
    to: string,
    template: TemplateName,
    values: { newEmail?: string; passwordStamp?: string } = {},
  ) => {
    const token = randomBytes(32).toString('base64url');
    const now = clock.now();
    const ttl = purpose === 'reset' ? settings.resetTtlMs : settings.verifyTtlMs;
    const { passwordStamp = null, ...mailed } = values;
    await links.issue({ tokenHash: sha256(token), userId: user.id, purpose, email: to, now, expiresAt: now + ttl, passwordStamp });
    const link = `${settings.appUrl}/${PAGE_OF[purpose]}?token=${token}`;
    // Development without a mail server: the link is in the log too, so `npm start` is enough to try every flow.
    if (settings.logLinks) logger.info({ userId: user.id, link }, `${template} link (development: also in the outbox)`);
    send(template, to, { ...mailed, link, expiresIn: humanDuration(ttl) }, user.id);
  };

  const sendVerification = async (user: User, client: ClientInfo) => {
    await issueLink(user, 'verify', user.email, 'verify-email');
    await audit.record({ type: 'email.verification_sent', userId: user.id, ...client });
  };

  return {
    /** After a signup: the verification link. */
    afterSignup: (user: User, client = NO_CLIENT) => sendVerification(user, client),

    /** A signup with an address that has an account: its owner hears of it (no link). */
    async signupTaken(email: string): Promise<void> {
      const owner = await users.findByEmail(email);
      onceInAWhile('signup-exists', email, owner?.id);
    },

    /** POST verify/request: a new link if the account exists and is unverified; silent otherwise. */
    async requestVerification(email: string, client = NO_CLIENT): Promise<void> {
      const user = await users.findByEmail(email);
      if (user && !user.emailVerified && !user.disabled) await sendVerification(user, client);
    },

    async verify(token: string, client = NO_CLIENT): Promise<User> {
      const link = await links.consume(sha256(token), 'verify', clock.now());
      // A link to an address the account no longer has verifies nothing.
      if (!link || !(await users.markEmailVerified(link.userId, link.email, clock.now()))) throw invalidLink();
      const user = await users.findById(link.userId);
      if (!user) throw invalidLink();
      await audit.record({ type: 'email.verified', userId: user.id, ...client });
      return user;
    },

    /** POST password/forgot: a reset link if the account exists (and is enabled); silent otherwise. */
    async forgot(email: string, client = NO_CLIENT): Promise<void> {
      const user = await users.findByEmail(email);
      if (!user || user.disabled) return;
      await issueLink(user, 'reset', user.email, 'reset-password');
      await audit.record({ type: 'password.reset_requested', userId: user.id, ...client });
    },

    /**
     * Sets a new password from a reset link: the password is checked before the link is spent,
     * every session of the user ends (and with them every other pending link: endSessions), the
     * address counts as verified (the link reached it). An account whose address was never
     * verified also loses its second factors: whoever set them up may have signed up with
     * somebody else's address, and the mailbox's owner must get the account back.
     */
    async reset(token: string, newPassword: string, client = NO_CLIENT): Promise<void> {
      const hash = sha256(token);
      const peek = await links.find(hash, 'reset', clock.now());
      const found = peek && (await users.findCredentialsById(peek.userId));
      // A link mailed to an address the account has since left is dead: its old mailbox may not be the owner's any more.
      if (!peek || !found || found.user.disabled || peek.email !== found.user.email) throw invalidLink();
      const problem = passwordProblem(newPassword) ?? passwordEmailProblem(newPassword, found.user.email);
      if (problem) throw validationFailed([{ path: 'newPassword', message: problem }]);
      const passwordHash = await deps.passwords.hash(newPassword);
      const link = await links.consume(hash, 'reset', clock.now());
      if (!link) throw invalidLink(); // spent by a concurrent request meanwhile
      await users.updatePasswordHash(link.userId, passwordHash, clock.now());
      // Removing the factors ends every session too (one transaction); the reset then ends any left.
      const removed = found.user.emailVerified ? undefined : await deps.removeSecondFactors(link.userId, client);
      const factorsRemoved = removed?.wasEnabled ?? false;
      const ended = (await deps.endSessions({ userId: link.userId }, 'password_reset')).length + (removed?.sessionsEnded ?? 0);
      await users.markEmailVerified(link.userId, link.email, clock.now());
      await audit.record({
        type: 'password.reset',
        userId: link.userId,
        ...client,
        details: { sessionsEnded: ended, secondFactorsRemoved: factorsRemoved },
      });
      notices.send(factorsRemoved ? 'password-reset-factors-removed' : 'password-changed', found.user);
    },

    /**
     * POST email/change, once the caller has proved it is them (recent-auth.ts): the old address
     * always gets the same notice, whether or not the new one is taken, so the notice tells an
     * attacker nothing. A free address gets a link stamped with the password hash the proof was
     * checked against (not read again here, after the answer): a password change or reset by the
     * owner kills it, even one that commits before this runs. A taken one gets its owner a notice.
     */
    async requestChange(proven: { user: User; passwordHash: string }, newEmail: string, client = NO_CLIENT): Promise<void> {
      const { user, passwordHash } = proven;
      const owner = await users.findByEmail(newEmail);
      if (owner) onceInAWhile('email-taken-notice', newEmail, owner.id);
      else await issueLink(user, 'change', newEmail, 'confirm-email-change', { newEmail, passwordStamp: sha256(passwordHash) });
      notices.send('email-change-notice', user, { newEmail });
      await audit.record({ type: 'email.change_requested', userId: user.id, ...client, details: { taken: Boolean(owner) } });
    },

    /**
     * Moves the account to the link's address, only while the account is enabled and still has
     * the password it had when the change was asked for. The old address is told.
     */
    async confirmChange(token: string, client = NO_CLIENT): Promise<User> {
      const link = await links.consume(sha256(token), 'change', clock.now());
      if (!link) throw invalidLink();
      const before = await users.findCredentialsById(link.userId);
      if (!before || before.user.disabled || link.passwordStamp !== sha256(before.passwordHash)) {
        await audit.record({
          type: 'email.change_refused',
          userId: link.userId,
          ...client,
          details: { disabled: Boolean(before?.user.disabled) },
        });
        throw invalidLink();
      }
      let user: User | undefined;
      try {
        user = await users.changeEmail(link.userId, link.email, clock.now(), before.passwordHash);
      } catch (error) {
        if (error instanceof EmailTakenError) throw emailTaken();
        throw error;
      }
      if (!user) throw invalidLink();
      // Links mailed to the old address (a reset, say) must not outlive the move.
      await links.retire(user.id, ['reset', 'verify', 'change'], clock.now());
      await audit.record({ type: 'email.changed', userId: user.id, ...client, details: { from: before.user.email, to: user.email } });
      notices.send('email-changed-notice', before.user, { newEmail: user.email });
      return user;
    },

    /** Operators (`tessera user verify`): marks an address verified without a link. */
    async markVerified(user: User): Promise<void> {
      await users.markEmailVerified(user.id, user.email, clock.now());
    },
  };
}

export type AccountEmailService = ReturnType<typeof createAccountEmailService>;
