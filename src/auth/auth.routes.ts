import type { Request, RequestHandler } from 'express';
import type { Config } from '../config/config.ts';
import { clientInfo } from '../http/client-info.ts';
import { clearSessionCookies, cookieNames, readCookie } from '../http/cookies.ts';
import type { Csrf } from '../http/csrf.ts';
import { endpoint, type Endpoint } from '../http/endpoint.ts';
import { parse } from '../http/validate.ts';
import { DomainError, refreshFailed } from '../lib/errors.ts';
import type { SessionsService } from '../sessions/sessions.service.ts';
import type { AccessTokens } from '../tokens/access-token.ts';
import { bearerToken } from '../tokens/require-auth.ts';
import type { UsersService } from '../users/users.service.ts';
import { UserResponse } from '../users/user.schemas.ts';
import { toPublicUser } from '../users/user.ts';
import type { ClientInfo } from '../lib/client-info.ts';
import type { User } from '../users/user.ts';
import { LoginBody, LoginResponse, PasswordChangeBody, RefreshBody, SignupBody, TokenResponse } from './auth.schemas.ts';
import type { CredentialsService } from './credentials.service.ts';
import type { AccountEmailService } from '../email/account-email.service.ts';
import { VerificationSent } from '../email/email.schemas.ts';
import type { MailDelivery } from '../mail/delivery.ts';
import { counted } from './counted.ts';
import { noStore, sendTokens } from './token-response.ts';

export interface AuthRoutesDeps {
  config: Config;
  users: UsersService;
  credentials: CredentialsService;
  sessions: SessionsService;
  csrf: Csrf;
  accessTokens: AccessTokens;
  onLogin(outcome: string): void;
  onRefresh(outcome: string): void;
  accountEmail: AccountEmailService;
  mail: MailDelivery;
  /** The limits of every endpoint that sends mail (http/rate-limit.ts): signup sends one too. */
  mailLimits: RequestHandler[];
  /**
   * The second step for a user with MFA (mfa/mfa-login.service.ts): a single-use mfaToken. Passed
   * in, so auth/ does not depend on mfa/.
   */
  mfaChallenge(user: User, client: ClientInfo): Promise<{ mfaToken: string; methods: string[] }>;
}

const TOKENS = { schema: TokenResponse, headers: ['Set-Cookie', 'Cache-Control'] } as const;

/** Signup, login, refresh, logout, logout-all, me, password change. */
export function authEndpoints(deps: AuthRoutesDeps): Endpoint[] {
  const { config, users, credentials, sessions, csrf, accessTokens } = deps;
  const { refresh: refreshCookie, device: deviceCookie } = cookieNames(config);

  /**
   * The refresh token from the body or, when the body has none, the cookie. A cookie-borne
   * token must pass the CSRF check before anything changes.
   */
  const presentedRefreshToken = (req: Request): string | undefined => {
    const body = parse(RefreshBody, req.body);
    if (body.refreshToken) return body.refreshToken;
    const cookie = readCookie(req, refreshCookie);
    if (!cookie) return undefined;
    csrf.check(req, sessions.readRefreshToken(cookie).sid);
    return cookie;
  };

  return [
    endpoint({
      method: 'post',
      path: '/api/auth/signup',
      operationId: 'signup',
      summary: 'Create an account (roles ["user"]); a verification link goes to the address',
      description:
        'With REQUIRE_EMAIL_VERIFICATION=true the answer is `202 {"status":"verification_sent"}` for a new and for a taken address alike (the owner of a taken one gets a notice); otherwise `201` or `409 email_taken`. Signup sends mail, so it counts against the mail limits (per client, and per address without its `+tag`): `429` past them.',
      access: 'public',
      body: SignupBody,
      // Counted before the account is looked at: a new and a taken address reach the limit alike.
      use: deps.mailLimits,
      responses: {
        201: { schema: UserResponse, description: 'The new user (REQUIRE_EMAIL_VERIFICATION=false)' },
        202: { schema: VerificationSent, description: 'REQUIRE_EMAIL_VERIFICATION=true, whatever the address' },
        errors: ['email_taken'],
      },
      async handler({ body, req, res }) {
        const client = clientInfo(req);
        let user;
        try {
          // Hashes the password before it looks for the address: a taken one costs the same time.
          user = await users.create(body, { actorId: null, via: 'self', ...client });
        } catch (error) {
          if (!(config.requireEmailVerification && error instanceof DomainError && error.code === 'email_taken')) throw error;
          res.status(202).json({ status: 'verification_sent' });
          deps.mail.background(() => deps.accountEmail.signupTaken(body.email), 'signup notice');
          return;
        }
        const created = user;
        if (config.requireEmailVerification) res.status(202).json({ status: 'verification_sent' });
        else res.status(201).json({ user: toPublicUser(created) });
        deps.mail.background(() => deps.accountEmail.afterSignup(created, client), 'signup verification');
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/auth/login',
      operationId: 'login',
      summary: 'Log in: access token, refresh token (body and/or HttpOnly cookie), CSRF cookie and device cookie',
      description:
        'For an account with MFA a correct password answers `{"mfaRequired": true, "mfaToken", "methods"}` and sets no cookie: POST /api/auth/mfa/verify finishes the login.',
      access: 'public',
      body: LoginBody,
      responses: {
        200: {
          schema: LoginResponse,
          description: 'Tokens; Set-Cookie refresh_token, csrf_token and device. Or, with MFA, the challenge (no cookies)',
          headers: TOKENS.headers,
        },
        errors: ['invalid_credentials', 'account_disabled'],
      },
      async handler({ body, req, res }) {
        const client = clientInfo(req);
        const outcome = await counted(
          (result) => deps.onLogin(result),
          async () => {
            const checked = await credentials.check(body.email, body.password, client, readCookie(req, deviceCookie));
            if (checked.user.mfaEnabled) return { challenge: await deps.mfaChallenge(checked.user, client) };
            return { issued: await sessions.start(checked.user, client), deviceToken: checked.deviceToken };
          },
          (result) => ('challenge' in result ? 'mfa_required' : 'success'),
        );
        if ('challenge' in outcome) {
          noStore(res);
          res.status(200).json({ mfaRequired: true, ...outcome.challenge });
          return;
        }
        sendTokens(res, config, csrf, outcome.issued, outcome.deviceToken);
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/auth/refresh',
      operationId: 'refresh',
      summary: 'Rotate a refresh token: new access and refresh tokens',
      description:
        'The refresh token comes from the body or, without one, the refresh_token cookie (then X-CSRF-Token is required). Reusing a rotated refresh token ends the whole session (refresh_reused).',
      access: 'refresh',
      body: RefreshBody,
      responses: {
        200: { ...TOKENS, description: 'New tokens' },
        errors: ['missing_token', 'invalid_token', 'token_expired', 'refresh_reused', 'csrf_failed'],
      },
      async handler({ req, res }) {
        const issued = await counted(
          (outcome) => deps.onRefresh(outcome),
          async () => {
            const token = presentedRefreshToken(req);
            if (!token) throw refreshFailed('missing_token', 'Send refreshToken in the body or the refresh_token cookie.');
            return sessions.refresh(token, clientInfo(req));
          },
        );
        sendTokens(res, config, csrf, issued);
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/auth/logout',
      operationId: 'logout',
      summary: 'End the session of a refresh token; revoke the Bearer access token if one is sent',
      access: 'refresh',
      body: RefreshBody,
      responses: {
        204: { description: 'Always, also for an unknown or ended session; the cookies are cleared', headers: ['Set-Cookie'] },
        errors: ['csrf_failed'],
      },
      async handler({ req, res }) {
        let refreshToken: string | undefined;
        try {
          refreshToken = presentedRefreshToken(req);
        } catch (error) {
          // A garbage or expired token has no session to end; only a CSRF refusal (or a bad body) is an answer.
          if (!(error instanceof DomainError && (error.code === 'invalid_token' || error.code === 'token_expired'))) throw error;
        }
        await sessions.logout(refreshToken, clientInfo(req));
        const access = bearerToken(req);
        const claims = access ? verifiedOrUndefined(accessTokens, access) : undefined;
        // Only an unverifiable token is ignored: a failure to record the revocation is an error.
        if (claims) await sessions.revokeAccessToken(claims);
        noStore(res);
        clearSessionCookies(res, config);
        res.status(204).end();
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/auth/logout-all',
      operationId: 'logoutAll',
      summary: 'End every session of the user and revoke their access tokens',
      access: 'bearer',
      responses: { 204: { description: 'Done; the cookies are cleared', headers: ['Set-Cookie'] } },
      async handler({ auth, req, res }) {
        await sessions.logoutAll(auth.sub, clientInfo(req));
        clearSessionCookies(res, config);
        res.status(204).end();
      },
    }),

    endpoint({
      method: 'get',
      path: '/api/auth/me',
      operationId: 'me',
      summary: 'The current user',
      access: 'bearer',
      responses: { 200: { schema: UserResponse, description: 'The user' } },
      async handler({ auth, res }) {
        const user = await users.get(auth.sub).catch((error: unknown) => {
          if (error instanceof DomainError && error.code === 'not_found')
            throw new DomainError('invalid_token', 'The user of this token no longer exists.');
          throw error;
        });
        res.json({ user: toPublicUser(user) });
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/auth/password',
      operationId: 'changePassword',
      summary: 'Change the password; every other session ends',
      access: 'bearer',
      body: PasswordChangeBody,
      responses: { 204: { description: 'Changed' }, errors: ['invalid_credentials'] },
      async handler({ auth, body, req, res }) {
        await credentials.changePassword({ userId: auth.sub, currentSessionId: auth.sid, ...body }, clientInfo(req));
        res.status(204).end();
      },
    }),
  ];
}

function verifiedOrUndefined(accessTokens: AccessTokens, token: string) {
  try {
    return accessTokens.verify(token);
  } catch {
    return undefined;
  }
}
