import { z } from 'zod';
import { normalizeEmail } from './email.ts';
import { PASSWORD_MAX, PASSWORD_MIN, passwordEmailProblem, passwordProblem } from './password-rules.ts';

const EMAIL_MAX = 254;

export const Email = z
  .string()
  .max(1024)
  .overwrite(normalizeEmail)
  .max(EMAIL_MAX, `Must be at most ${EMAIL_MAX} characters.`)
  .regex(z.regexes.email, 'Must be a valid email address.')
  .meta({ description: 'Trimmed and lower-cased before use.', example: 'ada@example.com' });

export const NewPassword = z
  .string()
  .max(PASSWORD_MAX * 4)
  .superRefine((value, ctx) => {
    const problem = passwordProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({
    description: `${PASSWORD_MIN} to ${PASSWORD_MAX} characters (Unicode, NFKC), not a common password, not containing the email name.`,
    minLength: PASSWORD_MIN,
    maxLength: PASSWORD_MAX,
  });

export const SignupBody = z
  .object({
    email: Email,
    password: NewPassword,
    name: z.string().trim().min(1).max(100).optional(),
  })
  .superRefine((body, ctx) => {
    const problem = passwordEmailProblem(body.password, body.email);
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
  })
  .meta({ id: 'SignupRequest' });

export const LoginBody = z
  .object({
    email: z.string().min(1).max(1024),
    password: z.string().min(1).max(1024),
  })
  .meta({ id: 'LoginRequest' });

export const RefreshBody = z
  .object({ refreshToken: z.string().min(1).max(8192).optional() })
  .meta({ id: 'RefreshRequest', description: 'Omit refreshToken to use the refresh_token cookie (then X-CSRF-Token is required).' });

export const PasswordChangeBody = z
  .object({ currentPassword: z.string().min(1).max(1024), newPassword: NewPassword })
  .meta({ id: 'PasswordChangeRequest' });

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    roles: z.array(z.string()),
    createdAt: z.string().meta({ format: 'date-time' }),
  })
  .meta({ id: 'User' });

export const UserResponse = z.object({ user: UserSchema }).meta({ id: 'UserResponse' });

export const TokenResponse = z
  .object({
    tokenType: z.literal('Bearer'),
    accessToken: z.string(),
    expiresIn: z.number().int().meta({ description: 'Seconds until the access token expires.' }),
    refreshToken: z.string().optional().meta({ description: 'Absent with REFRESH_TOKEN_TRANSPORT=cookie.' }),
    refreshExpiresIn: z.number().int(),
    user: UserSchema,
  })
  .meta({ id: 'TokenResponse' });

export const SessionSchema = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string(),
    expiresAt: z.string(),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean(),
  })
  .meta({ id: 'Session' });

export const SessionsResponse = z.object({ sessions: z.array(SessionSchema) }).meta({ id: 'SessionsResponse' });

export const ProtectedResponse = z
  .object({ message: z.string(), user: z.object({ id: z.string(), roles: z.array(z.string()) }) })
  .meta({ id: 'ProtectedResponse' });

export const MessageResponse = z.object({ message: z.string() }).meta({ id: 'MessageResponse' });
