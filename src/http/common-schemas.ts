import { z } from 'zod';

/** A body with nothing but a human-readable message. */
export const MessageResponse = z.object({ message: z.string() }).meta({ id: 'MessageResponse' });
