import { z } from 'zod';
import { TokenResponse } from '../auth/auth.schemas.ts';
import { noStore, sendTokens } from '../auth/token-response.ts';
import type { Config } from '../config/config.ts';
import { clientInfo } from '../http/client-info.ts';
import type { Csrf } from '../http/csrf.ts';
import { EXAMPLE } from '../http/common-schemas.ts';
import { endpoint, type Claims, type Endpoint } from '../http/endpoint.ts';
import type { MfaLogin } from './mfa-login.service.ts';
import { CodeBody, MfaVerifyBody, RecoveryCodesResponse, StepUpBody, StepUpCodeBody, TotpSetupResponse } from './mfa.schemas.ts';
import type { MfaService } from './mfa.service.ts';
import { qrCodeSvg } from './qr-code.ts';

const UserParams = z.object({ id: z.string().min(1).max(64).meta({ example: EXAMPLE.userId }) });

/** The signed-in caller as the MFA service sees it: the user, the session that stays, the token's `auth_time`. */
const caller = (auth: Claims) => ({ userId: auth.sub, sessionId: auth.sid, authTime: auth.auth_time });

/** TOTP enrolment, recovery codes, the second step of login, and the admin reset. */
export function mfaEndpoints(deps: { config: Config; csrf: Csrf; mfa: MfaService; mfaLogin: MfaLogin }): Endpoint[] {
  const { config, csrf, mfa, mfaLogin } = deps;
  return [
    endpoint({
      method: 'post',
      path: '/api/auth/mfa/totp/setup',
      operationId: 'mfaTotpSetup',
      summary: 'Start setting up an authenticator app (not active until confirmed)',
      description:
        'A new TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s; issuer MFA_ISSUER), its otpauth:// URL and that URL as a QR code (SVG). Calling it again before confirming replaces the pending secret. Needs recent authentication: `currentPassword` (wrong: `401 invalid_credentials`, throttled as login; missing: `401 reauth_required`). `403 email_unverified` with REQUIRE_EMAIL_VERIFICATION and an unverified address; `400 validation_failed` when MFA is already on.',
      access: 'bearer',
      body: StepUpBody,
      responses: {
        200: { schema: TotpSetupResponse, description: 'The pending secret', headers: ['Cache-Control'] },
        errors: ['validation_failed', 'reauth_required', 'invalid_credentials', 'email_unverified', 'rate_limited'],
      },
      async handler({ auth, body, req, res }) {
        const pending = await mfa.setup(caller(auth), body.currentPassword, clientInfo(req));
        noStore(res);
        res.json({ ...pending, qrCodeSvg: await qrCodeSvg(pending.otpauthUrl) });
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/auth/mfa/totp/confirm',
      operationId: 'mfaTotpConfirm',
      summary: 'Turn MFA on with a first code from the app; returns 10 recovery codes',
      description:
        'Every other session of the user ends (this one stays) and the account’s address gets a notice. Needs recent authentication, as setup. A wrong code is `400 invalid_mfa_code`, counted by the account throttle.',
      access: 'bearer',
      body: StepUpCodeBody,
      responses: {
        200: { schema: RecoveryCodesResponse, description: 'MFA is on; the recovery codes, shown once', headers: ['Cache-Control'] },
        errors: ['invalid_mfa_code', 'reauth_required', 'invalid_credentials', 'email_unverified', 'rate_limited'],
      },
      async handler({ auth, body, req, res }) {
        const result = await mfa.confirm(caller(auth), body.code, body.currentPassword, clientInfo(req));
        noStore(res);
        res.json(result);
      },
    }),

    endpoint({
      method: 'delete',
      path: '/api/auth/mfa/totp',
      operationId: 'mfaTotpDisable',
      summary: 'Turn MFA off, with a TOTP or recovery code',
      description: 'Every other session of the user ends. A wrong code is `400 invalid_mfa_code`, counted by the account throttle.',
      access: 'bearer',
      body: CodeBody,
      responses: { 204: { description: 'MFA is off' }, errors: ['invalid_mfa_code'] },
      async handler({ auth, body, req, res }) {
        await mfa.disable(caller(auth), body.code, clientInfo(req));
        res.status(204).end();
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/auth/mfa/recovery-codes',
      operationId: 'mfaRecoveryCodes',
      summary: 'A new set of recovery codes, with a TOTP or recovery code; the old set stops working',
      description:
        'Every other session of the user ends. Needs recent authentication (`currentPassword`; missing: `401 reauth_required`) and a code. A wrong code is `400 invalid_mfa_code`, counted by the account throttle.',
      access: 'bearer',
      body: StepUpCodeBody,
      responses: {
        200: { schema: RecoveryCodesResponse, description: 'The new codes, shown once', headers: ['Cache-Control'] },
        errors: ['invalid_mfa_code', 'reauth_required', 'invalid_credentials', 'rate_limited'],
      },
      async handler({ auth, body, req, res }) {
        const result = await mfa.regenerateRecoveryCodes(caller(auth), body.code, body.currentPassword, clientInfo(req));
        noStore(res);
        res.json(result);
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/auth/mfa/verify',
      operationId: 'mfaVerify',
      summary: 'Second step of a login with MFA: the mfaToken and a code give the login response',
      description:
        'Tokens (with `amr: ["pwd","otp"]`) and, per REFRESH_TOKEN_TRANSPORT, the cookies login sets. `401 invalid_mfa_code` for a wrong code (counted by the account throttle; the mfaToken stays usable), `401 invalid_token` for an unknown, expired (5 min) or used mfaToken.',
      access: 'public',
      body: MfaVerifyBody,
      responses: {
        200: {
          schema: TokenResponse,
          description: 'Tokens; Set-Cookie refresh_token, csrf_token and device',
          headers: ['Set-Cookie', 'Cache-Control'],
        },
        errors: ['invalid_token', 'invalid_mfa_code', 'account_disabled'],
      },
      async handler({ body, req, res }) {
        const { issued, deviceToken } = await mfaLogin.verify(body.mfaToken, body.code, clientInfo(req));
        sendTokens(res, config, csrf, issued, deviceToken);
      },
    }),

    endpoint({
      method: 'post',
      path: '/api/admin/users/:id/mfa/reset',
      operationId: 'resetUserMfa',
      summary: "Remove a user's MFA (a lost phone): every session of the user ends; they log in with the password alone",
      access: 'admin',
      params: UserParams,
      responses: { 204: { description: 'Reset' }, errors: ['not_found'] },
      async handler({ auth, params, req, res }) {
        await mfa.reset(params.id, { actorId: auth.sub, via: 'api', ...clientInfo(req) });
        res.status(204).end();
      },
    }),
  ];
}
