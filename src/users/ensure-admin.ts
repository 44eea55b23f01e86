import type { Logger } from 'pino';
import { DomainError } from '../lib/errors.ts';
import { normalizeEmail } from './email.ts';
import { ADMIN_ROLE, type UserRepository } from './user.repository.ts';
import type { Actor, UsersService } from './users.service.ts';

const BY_CONFIG: Actor = { actorId: null, via: 'config' };

/**
 * ADMIN_EMAIL/ADMIN_PASSWORD: create the first admin when that account does not exist, and only
 * then. An existing account is left exactly as it is, whatever its roles or password: an admin
 * who removed `admin` from it must not see a restart hand it back, and signups are not
 * verified, so anybody could have registered that address first. Logs name the user id, never
 * the address (logs carry no email address).
 */
export async function ensureAdmin(
  deps: { users: UsersService; repository: UserRepository; logger: Logger },
  admin: { email: string; password: string },
): Promise<void> {
  const { users, repository, logger } = deps;
  const email = normalizeEmail(admin.email);
  const existing = await repository.findByEmail(email);
  if (existing) {
    logger.info(
      { userId: existing.id, roles: existing.roles },
      'ADMIN_EMAIL names an existing account: left as it is (start-up creates the first admin only, and never grants or re-grants a role; use `tessera user roles` to change it)',
    );
    return;
  }
  try {
    const created = await users.create({ email, password: admin.password, roles: ['user', ADMIN_ROLE] }, BY_CONFIG);
    logger.info({ userId: created.id }, 'admin user created from ADMIN_EMAIL');
  } catch (error) {
    // Another instance starting at the same moment created it first: that one is the first admin.
    if (!(error instanceof DomainError && error.code === 'email_taken')) throw error;
    logger.info('ADMIN_EMAIL: the account was created by another instance starting at the same time; left as it is');
  }
}
