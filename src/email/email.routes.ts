import { clientInfo } from '../http/client-info.ts';
import { validationFailed } from '../lib/errors.ts';
import { endpoint, type Endpoint } from '../http/endpoint.ts';
import type { RateLimiters } from '../http/rate-limit.ts';
import type { MailDelivery } from '../mail/delivery.ts';
import { UserResponse } from '../users/user.schemas.ts';
import { toPublicUser, type User } from '../users/user.ts';
import type { ClientInfo } from '../lib/client-info.ts';
import type { AccountEmailService } from './account-email.service.ts';
import { Accepted, EmailBody, EmailChangeBody, LinkBody, ResetBody } from './email.schemas.ts';

export interface EmailRoutesDeps {
  accountEmail: AccountEmailService;
  /** Recent authentication (auth/recent-auth.ts; declared here so email/ does not import auth/): the current password, throttled as at login. */
  recentAuth: {
    confirm(
      caller: { userId: string; authTime?: number | undefined },
      currentPassword: string | undefined,
      client: ClientInfo,
    ): Promise<{ user: User; passwordHash: string }>;
  };
  mail: MailDelivery;
  /** Per client address and per target address, on the endpoints that send mail. */
  mailLimits: RateLimiters['mail'];
}

const ACCEPTED = { status: 'accepted' } as const;

/** Email verification, password reset and email change (links by mail; pages in pages.routes.ts). */
export function emailEndpoints(deps: EmailRoutesDeps): Endpoint[] {
  const { accountEmail, recentAuth, mail, mailLimits } = deps;

  /**
   * An endpoint that may mail an address: always `202` with one body, the lookup and the mail
   * after the answer, so neither the answer nor its timing says whether the address has an account.
   */
  const accepted = (def: { path: string; operationId: string; summary: string; work(email: string, client: ClientInfo): Promise<void> }) =>
    endpoint({
      method: 'post',
      path: def.path,
      operationId: def.operationId,
      summary: def.summary,
      description: 'Always `202` (rate limits aside), with the same body and timing for unknown addresses.',
      access: 'public',
      body: EmailBody,
      use: mailLimits('email'),
      responses: { 202: { schema: Accepted, description: 'Accepted' } },
      handler({ body, req, res }) {
        const client = clientInfo(req);
        res.status(202).json(ACCEPTED);
        mail.background(() => def.work(body.email, client), def.path);
      },
    });

  return [
    accepted({
      path: '/api/auth/email/verify/request',
      operationId: 'requestVerification',
      summary: 'Send a new verification link, if the address has an unverified account',
      work: (email, client) => accountEmail.requestVerification(email, client),
    }),

    endpoint({
      method: 'post',
      path: '/api/auth/email/verify',
      operationId: 'verifyEmail',
      summary: 'Verify an email address with the token of a verification link',
      access: 'public',
      body: LinkBody,
      responses: { 200: { schema: UserResponse, description: 'The user, now verified' }, errors: ['invalid_link'] },
      async handler({ body, req, res }) {
        const user = await accountEmail.verify(body.token, clientInfo(req));
        res.json({ user: toPublicUser(user) });
      },
    }),

    accepted({
      path: '/api/auth/password/forgot',
      operationId: 'forgotPassword',
      summary: 'Send a password-reset link, if the address has an account',
      work: (email, client) => accountEmail.forgot(email, client),
    }),

    endpoint({
      method: 'post',
      path: '/api/auth/password/reset',
      operationId: 'resetPassword',
      summary: 'Set a new password with the token of a reset link; every session of the user ends',
      access: 'public',
      body: ResetBody,
      responses: { 204: { description: 'Password set; log in with it' }, errors: ['invalid_link'] },
      async handler({ body, req, res }) {
        await accountEmail.reset(body.token, body.newPassword, clientInfo(req));
        res.status(204).end();
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/auth/email/change',
      operationId: 'requestEmailChange',
      summary: 'Change the account’s address: a link goes to the new one, a notice to the old one',
      description:
        'Needs recent authentication: `currentPassword` (wrong: `401 invalid_credentials`, throttled as at login; missing: `401 reauth_required`). The old address always gets the same notice. An address that has another account gets the same `202`; its owner gets a notice, no link. The link confirms only while the account is enabled and has the same password: a password change or reset, logout-all, a disable or an admin MFA reset retire it.',
      access: 'bearer',
      body: EmailChangeBody,
      use: mailLimits('newEmail'),
      responses: { 202: { schema: Accepted, description: 'Accepted' }, errors: ['invalid_credentials', 'reauth_required', 'rate_limited'] },
      async handler({ auth, body, req, res }) {
        const client = clientInfo(req);
        const proven = await recentAuth.confirm({ userId: auth.sub, authTime: auth.auth_time }, body.currentPassword, client);
        if (body.newEmail === proven.user.email) throw validationFailed([{ path: 'newEmail', message: 'This is already your address.' }]);
        res.status(202).json(ACCEPTED);
        // After the answer: a taken address (a notice, no link) must not answer faster than a free one.
        mail.background(() => accountEmail.requestChange(proven, body.newEmail, client), 'email/change');
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/auth/email/change/confirm',
      operationId: 'confirmEmailChange',
      summary: 'Move the account to the new address with the token of an email-change link',
      access: 'public',
      body: LinkBody,
      responses: { 200: { schema: UserResponse, description: 'The user with the new address' }, errors: ['invalid_link', 'email_taken'] },
      async handler({ body, req, res }) {
        const user = await accountEmail.confirmChange(body.token, clientInfo(req));
        res.json({ user: toPublicUser(user) });
      },
    }),
  ];
}
