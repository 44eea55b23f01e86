import { z } from 'zod';
import { Email, NewPassword } from '../users/user.schemas.ts';
import { PASSWORD_MAX } from '../users/password-rules.ts';
import { CurrentPassword, EXAMPLE } from '../http/common-schemas.ts';

/** A link's token as the page reads it from the query string; anything else is simply not found. */
const LinkToken = z.string().min(1).max(256).meta({ description: 'The `token` of the link in the mail.', example: EXAMPLE.opaqueToken });

export const EmailBody = z.object({ email: Email }).meta({ id: 'EmailBody' });
export const LinkBody = z.object({ token: LinkToken }).meta({ id: 'LinkBody' });
/**
 * The password rules are applied by the service after the link is found, so a dead link is
 * reported as such before the user is asked to pick a better password.
 */
export const ResetBody = z
  .object({
    token: LinkToken,
    newPassword: z
      .string()
      .min(1)
      .max(PASSWORD_MAX * 4)
      .meta({ ...NewPassword.meta(), example: EXAMPLE.password }),
  })
  .meta({ id: 'ResetBody' });
export const EmailChangeBody = z.object({ newEmail: Email, currentPassword: CurrentPassword }).meta({ id: 'EmailChangeBody' });

export const Accepted = z
  .object({ status: z.literal('accepted') })
  .meta({ id: 'Accepted', description: 'The same answer whether or not the address has an account.' });
export const VerificationSent = z.object({ status: z.literal('verification_sent') }).meta({ id: 'VerificationSent' });
