import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { normalizeEmail } from '../auth/email.ts';
import { hashPassword, verifyPassword } from '../auth/password.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ADMIN_ROLE, type UserRepository } from './user.repository.ts';

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
  audit?: AuditLog,
): Promise<void> {
  const email = normalizeEmail(admin.email);
  const existing = await users.findCredentialsByEmail(email);
  const now = clock.now();
  if (!existing) {
    const created = await users.create({
      id: newId(now),
      email,
      name: null,
      passwordHash: await hashPassword(admin.password),
      roles: ['user', ADMIN_ROLE],
      now,
    });
    await audit?.record({ type: 'user.created', userId: created.id, details: { roles: created.roles.join(','), via: 'config' } });
    logger.info({ email }, 'admin user created');
    return;
  }
  if (existing.user.roles.includes(ADMIN_ROLE)) return;
  if (!(await verifyPassword(existing.passwordHash, admin.password)).ok) {
    logger.error(
      { email },
      'ADMIN_EMAIL belongs to an existing account whose password is not ADMIN_PASSWORD: the admin role was NOT granted',
    );
    return;
  }
  const roles = [...existing.user.roles, ADMIN_ROLE];
  // Adding a role can never leave the site without an admin; the guard is only for removals.
  await users.changeUnlessLastAdmin(existing.user.id, { roles }, now);
  await audit?.record({ type: 'user.roles_changed', userId: existing.user.id, details: { roles: roles.join(','), removed: '', via: 'config' } });
  logger.info({ email }, 'admin role granted');
}
