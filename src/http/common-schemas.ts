import { z } from 'zod';

/** A body with nothing but a human-readable message. */
export const MessageResponse = z.object({ message: z.string() }).meta({ id: 'MessageResponse' });

/** Recent authentication (auth/recent-auth.ts): an account with a password sends it again. */
export const CurrentPassword = z
  .string()
  .min(1)
  .max(1024)
  .optional()
  .meta({ description: 'The account’s current password (needed when it has one; else `401 reauth_required`).' });
