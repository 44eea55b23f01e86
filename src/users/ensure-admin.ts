import type { Logger } from 'pino';
import { normalizeEmail } from './email.ts';
import { verifyPassword } from './password.ts';
import { ADMIN_ROLE, type UserRepository } from './user.repository.ts';
import type { Actor, UsersService } from './users.service.ts';

const BY_CONFIG: Actor = { actorId: null, via: 'config' };

/**
 * ADMIN_EMAIL/ADMIN_PASSWORD: make sure this admin exists. An existing account gains the admin
 * role only if ADMIN_PASSWORD is its password: signups are not verified, so anybody could have
 * registered that address first, and must not become admin by it.
 */
export async function ensureAdmin(
  deps: { users: UsersService; repository: UserRepository; logger: Logger },
  admin: { email: string; password: string },
): Promise<void> {
  const { users, repository, logger } = deps;
  const email = normalizeEmail(admin.email);
  const existing = await repository.findCredentialsByEmail(email);
  if (!existing) {
    await users.create({ email, password: admin.password, roles: ['user', ADMIN_ROLE] }, BY_CONFIG);
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
  await users.setRoles(existing.user.id, [...existing.user.roles, ADMIN_ROLE], BY_CONFIG);
  logger.info({ email }, 'admin role granted');
}
