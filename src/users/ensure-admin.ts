import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { normalizeEmail } from '../auth/email.ts';
import { hashPassword } from '../auth/password.ts';
import type { UserRepository } from './user.repository.ts';

/**
 * ADMIN_EMAIL/ADMIN_PASSWORD: make sure this admin exists. An existing account keeps its
 * password (the setting is a bootstrap, not a reset) and gains the admin role.
 */
export async function ensureAdmin(
  users: UserRepository,
  admin: { email: string; password: string },
  clock: Clock,
  logger: Logger,
): Promise<void> {
  const email = normalizeEmail(admin.email);
  const existing = await users.findByEmail(email);
  const now = clock.now();
  if (!existing) {
    await users.create({
      id: newId(now),
      email,
      name: null,
      passwordHash: await hashPassword(admin.password),
      roles: ['user', 'admin'],
      now,
    });
    logger.info({ email }, 'admin user created');
    return;
  }
  if (!existing.roles.includes('admin')) {
    await users.setRoles(existing.id, [...existing.roles, 'admin'], now);
    logger.info({ email }, 'admin role granted');
  }
}
