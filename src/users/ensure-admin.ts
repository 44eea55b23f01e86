import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { normalizeEmail } from '../auth/email.ts';
import { hashPassword, verifyPassword } from '../auth/password.ts';
import type { UserRepository } from './user.repository.ts';

/**
 * ADMIN_EMAIL/ADMIN_PASSWORD: make sure this admin exists. An existing account gains the admin
 * role only if ADMIN_PASSWORD is its password: signups are not verified, so anybody could have
 * registered that address first, and must not become admin by it.
 */
export async function ensureAdmin(
  users: UserRepository,
  admin: { email: string; password: string },
  clock: Clock,
  logger: Logger,
): Promise<void> {
  const email = normalizeEmail(admin.email);
  const existing = await users.findCredentialsByEmail(email);
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
  if (existing.user.roles.includes('admin')) return;
  if (!(await verifyPassword(existing.passwordHash, admin.password)).ok) {
    logger.error(
      { email },
      'ADMIN_EMAIL belongs to an existing account whose password is not ADMIN_PASSWORD: the admin role was NOT granted',
    );
    return;
  }
  await users.setRoles(existing.user.id, [...existing.user.roles, 'admin'], now);
  logger.info({ email }, 'admin role granted');
}
