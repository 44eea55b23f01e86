import { z } from 'zod';
import { EXAMPLE } from '../http/common-schemas.ts';
import { passwordEmailProblem } from '../users/password-rules.ts';
import { Email, NewPassword, UserSchema } from '../users/user.schemas.ts';

export const SignupBody = z
  .object({
    email: Email,
    password: NewPassword,
    name: z.string().trim().min(1).max(100).optional().meta({ example: 'Ada Lovelace' }),
  })
  .superRefine((body, ctx) => {
    const problem = passwordEmailProblem(body.password, body.email);
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
  })
  .meta({ id: 'SignupRequest' });

export const LoginBody = z
  .object({
    email: z.string().min(1).max(1024).meta({ example: 'ada@example.com' }),
    password: z.string().min(1).max(1024).meta({ example: EXAMPLE.password }),
  })
  .meta({ id: 'LoginRequest' });

export const RefreshBody = z
  .object({ refreshToken: z.string().min(1).max(8192).optional().meta({ example: EXAMPLE.refreshToken }) })
  .meta({ id: 'RefreshRequest', description: 'Omit refreshToken to use the refresh_token cookie (then X-CSRF-Token is required).' });

export const PasswordChangeBody = z
  .object({ currentPassword: z.string().min(1).max(1024).meta({ example: EXAMPLE.password }), newPassword: NewPassword })
  .meta({ id: 'PasswordChangeRequest' });

export const TokenResponse = z
  .object({
    tokenType: z.literal('Bearer'),
    accessToken: z.string().meta({ example: EXAMPLE.accessToken }),
    expiresIn: z.number().int().meta({ description: 'Seconds until the access token expires.', example: 900 }),
    refreshToken: z.string().optional().meta({ description: 'Absent with REFRESH_TOKEN_TRANSPORT=cookie.', example: EXAMPLE.refreshToken }),
    refreshExpiresIn: z.number().int().meta({ description: 'Seconds until the refresh token expires.', example: 604800 }),
    csrfToken: z.string().optional().meta({
      description: 'The session’s CSRF token (send it as X-CSRF-Token with cookie-borne refresh/logout); present whenever cookies are set.',
      example: EXAMPLE.opaqueToken,
    }),
    user: UserSchema,
  })
  .meta({ id: 'TokenResponse' });

export const MfaChallengeResponse = z
  .object({
    mfaRequired: z.literal(true),
    mfaToken: z.string().meta({
      description: 'Single use, valid 5 minutes: send it with a code to POST /api/auth/mfa/verify.',
      example: EXAMPLE.opaqueToken,
    }),
    methods: z.array(z.enum(['totp', 'recovery_code'])).meta({ example: ['totp', 'recovery_code'] }),
  })
  .meta({ id: 'MfaChallengeResponse', description: 'The password was right and the account has MFA: no tokens and no cookies yet.' });

/** Login answers with tokens, or, for an account with MFA, a challenge for the second step. */
export const LoginResponse = z.union([TokenResponse, MfaChallengeResponse]).meta({ id: 'LoginResponse' });

export const ProtectedResponse = z
  .object({
    message: z.string().meta({ example: 'You are authenticated.' }),
    user: z.object({ id: z.string().meta({ example: EXAMPLE.userId }), roles: z.array(z.string()).meta({ example: ['user'] }) }),
  })
  .meta({ id: 'ProtectedResponse' });
