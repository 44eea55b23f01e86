import { Router, type Request, type RequestHandler } from 'express';
import type { Config } from '../config/config.ts';
import { clearSessionCookies, cookieNames, readCookie } from '../http/cookies.ts';
import type { Csrf } from '../http/csrf.ts';
import { AppError, bearerFailure } from '../http/errors.ts';
import type { ApiDocs } from '../http/openapi.ts';
import { parse } from '../http/validate.ts';
import { bearerToken } from '../http/authenticate.ts';
import type { Revocations } from '../revocation/revocations.ts';
import type { AccessTokens } from '../tokens/access-token.ts';
import type { UserRepository } from '../users/user.repository.ts';
import { toPublicUser } from '../users/user.ts';
import type { AuthService } from './auth.service.ts';
import {
  LoginBody,
  PasswordChangeBody,
  RefreshBody,
  SignupBody,
  TokenResponse,
  UserResponse,
} from './auth.schemas.ts';
import { noStore, sendTokens } from './token-response.ts';
import { clientInfo } from '../http/client-info.ts';

export interface AuthRoutesDeps {
  config: Config;
  auth: AuthService;
  users: UserRepository;
  csrf: Csrf;
  accessTokens: AccessTokens;
  revocations: Revocations;
  requireAuth: RequestHandler;
  onLogin(outcome: 'success' | 'invalid_credentials' | 'account_disabled' | 'rate_limited' | 'error'): void;
  onRefresh(outcome: string): void;
  docs: ApiDocs;
}


export function createAuthRouter(deps: AuthRoutesDeps): Router {
  const { config, auth, users, csrf, accessTokens, revocations, requireAuth, docs } = deps;
  const router = Router();
  const verifiedOrUndefined = (token: string) => {
    try {
      return accessTokens.verify(token);
    } catch {
      return undefined;
    }
  };
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
    const claims = auth.readRefreshToken(cookie);
    csrf.check(req, claims.sid);
    return cookie;
  };

  docs.describe({
    method: 'post',
    path: '/api/auth/signup',
    summary: 'Create an account (roles ["user"])',
    body: SignupBody,
    responses: {
      201: { schema: UserResponse, description: 'The new user' },
      400: ['validation_failed', 'malformed_json'],
      409: ['email_taken'],
      413: ['payload_too_large'],
      415: ['unsupported_media_type'],
      429: ['rate_limited'],
    },
  });
  router.post('/signup', async (req, res) => {
    const body = parse(SignupBody, req.body);
    const user = await auth.signup(body, clientInfo(req));
    res.status(201).json({ user: toPublicUser(user) });
  });

  docs.describe({
    method: 'post',
    path: '/api/auth/login',
    summary: 'Log in: access token, refresh token (body and/or HttpOnly cookie) and CSRF cookie',
    body: LoginBody,
    responses: {
      200: { schema: TokenResponse, description: 'Tokens; Set-Cookie refresh_token and csrf_token' },
      400: ['validation_failed', 'malformed_json'],
      401: ['invalid_credentials'],
      403: ['account_disabled'],
      429: ['rate_limited'],
    },
  });
  router.post('/login', async (req, res) => {
    const body = parse(LoginBody, req.body);
    try {
      const issued = await auth.login(body.email, body.password, clientInfo(req), readCookie(req, deviceCookie));
      deps.onLogin('success');
      sendTokens(res, config, csrf, issued);
    } catch (error) {
      const code = error instanceof AppError ? error.code : undefined;
      deps.onLogin(code === 'invalid_credentials' || code === 'account_disabled' || code === 'rate_limited' ? code : 'error');
      throw error;
    }
  });

  docs.describe({
    method: 'post',
    path: '/api/auth/refresh',
    summary: 'Rotate a refresh token: new access and refresh tokens',
    description: 'Reusing a rotated refresh token ends the whole session (refresh_reused).',
    body: RefreshBody,
    responses: {
      200: { schema: TokenResponse, description: 'New tokens' },
      401: ['missing_token', 'invalid_token', 'token_expired', 'refresh_reused'],
      403: ['csrf_failed'],
    },
  });
  router.post('/refresh', async (req, res) => {
    const token = presentedRefreshToken(req);
    if (!token) throw new AppError(401, 'missing_token', 'Send refreshToken in the body or the refresh_token cookie.');
    try {
      const issued = await auth.refresh(token, clientInfo(req));
      deps.onRefresh('success');
      sendTokens(res, config, csrf, issued);
    } catch (error) {
      deps.onRefresh(error instanceof AppError ? error.code : 'error');
      throw error;
    }
  });

  docs.describe({
    method: 'post',
    path: '/api/auth/logout',
    summary: 'End the session of a refresh token; revoke the Bearer access token if one is sent',
    body: RefreshBody,
    responses: { 204: { description: 'Always, also for an unknown or ended session' }, 403: ['csrf_failed'] },
  });
  router.post('/logout', async (req, res) => {
    const refreshToken = (() => {
      try {
        return presentedRefreshToken(req);
      } catch (error) {
        // A garbage or expired token has no session to end; only a CSRF refusal is an answer.
        if (error instanceof AppError && error.code === 'csrf_failed') throw error;
        if (error instanceof AppError && error.status === 401) return undefined;
        throw error;
      }
    })();
    await auth.logout(refreshToken, clientInfo(req));
    const access = bearerToken(req);
    const claims = access ? verifiedOrUndefined(access) : undefined;
    // Only an unverifiable token is ignored: a failure to record the revocation is an error.
    if (claims) await revocations.revokeToken(claims.jti, claims.exp);
    noStore(res);
    clearSessionCookies(res, config);
    res.status(204).end();
  });

  docs.describe({
    method: 'post',
    path: '/api/auth/logout-all',
    summary: 'End every session of the user and revoke their access tokens',
    bearer: true,
    responses: { 204: { description: 'Done' }, 401: ['missing_token', 'invalid_token', 'token_expired', 'token_revoked'] },
  });
  router.post('/logout-all', requireAuth, async (req, res) => {
    await auth.logoutAll(req.auth!.sub, clientInfo(req));
    clearSessionCookies(res, config);
    res.status(204).end();
  });

  docs.describe({
    method: 'get',
    path: '/api/auth/me',
    summary: 'The current user',
    bearer: true,
    responses: { 200: { schema: UserResponse, description: 'The user' }, 401: ['missing_token', 'invalid_token'] },
  });
  router.get('/me', requireAuth, async (req, res) => {
    const user = await users.findById(req.auth!.sub);
    if (!user) throw bearerFailure('invalid_token', 'The user of this token no longer exists.');
    res.json({ user: toPublicUser(user) });
  });

  docs.describe({
    method: 'post',
    path: '/api/auth/password',
    summary: 'Change the password; every other session ends',
    bearer: true,
    body: PasswordChangeBody,
    responses: {
      204: { description: 'Changed' },
      400: ['validation_failed'],
      401: ['invalid_credentials', 'missing_token', 'invalid_token'],
    },
  });
  router.post('/password', requireAuth, async (req, res) => {
    const body = parse(PasswordChangeBody, req.body);
    try {
      await auth.changePassword(req.auth!.sub, req.auth!.sid, body.currentPassword, body.newPassword, clientInfo(req));
    } catch (error) {
      // Every 401 on a Bearer route names the realm (RFC 6750), this one too: the token was fine.
      if (error instanceof AppError && error.status === 401) {
        throw new AppError(401, error.code, error.detail, { headers: { 'WWW-Authenticate': 'Bearer realm="tessera"' } });
      }
      throw error;
    }
    res.status(204).end();
  });

  return router;
}
