import { z } from 'zod';
import { DateTime, EXAMPLE } from '../http/common-schemas.ts';
import { normalizeEmail } from './email.ts';
import { PASSWORD_MAX, PASSWORD_MIN, passwordProblem } from './password-rules.ts';

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
    example: EXAMPLE.password,
  });

export const UserSchema = z
  .object({
    id: z.string().meta({ example: EXAMPLE.userId }),
    email: z.string().meta({ example: 'ada@example.com' }),
    name: z.string().nullable().meta({ example: 'Ada Lovelace' }),
    roles: z.array(z.string()).meta({ example: ['user'] }),
    emailVerified: z.boolean().meta({ description: 'The owner has followed a link sent to this address.' }),
    mfaEnabled: z.boolean().meta({ description: 'Login asks for a second factor (TOTP or recovery code).' }),
    createdAt: DateTime,
  })
  .meta({ id: 'User' });

export const UserResponse = z.object({ user: UserSchema }).meta({ id: 'UserResponse' });

export const AdminUser = UserSchema.extend({ disabled: z.boolean() }).meta({ id: 'AdminUser' });
