import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NO_CLIENT } from '../../src/lib/client-info.ts';
import { createEndSessions } from '../../src/sessions/end-sessions.ts';
import { createSessionRepository } from '../../src/sessions/session.repository.ts';
import { createPasswordHasher } from '../../src/users/password.ts';
import { createUserRepository } from '../../src/users/user.repository.ts';
import { createUsersService, type Actor, type EndUserSessions } from '../../src/users/users.service.ts';
import { expectDomainError, servicesFor } from '../helpers/services.ts';
import { createTestApp, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

const SELF: Actor = { actorId: null, via: 'self' };
const CLI: Actor = { actorId: null, via: 'cli', osUser: 'ops' };

describe('users service', () => {
  let t: TestApp;
  let services: ReturnType<typeof servicesFor>;
  /** The users service with its endSessions collaborator observed (it still ends sessions for real). */
  let users: ReturnType<typeof createUsersService>;
  let endSessions: { within: ReturnType<typeof vi.fn<EndUserSessions['within']>> };

  beforeEach(async () => {
    t = await createTestApp();
    services = servicesFor(t);
    const real = createEndSessions({
      sessions: createSessionRepository(t.runtime.database.db),
      revocations: t.runtime.revocations,
      clock: t.clock,
    });
    endSessions = { within: vi.fn<EndUserSessions['within']>((trx, target, reason) => real.within(trx, target, reason)) };
    users = createUsersService({
      users: createUserRepository(t.runtime.database.db),
      endSessions,
      audit: services.audit,
      clock: t.clock,
      passwords: createPasswordHasher(t.config.hashConcurrency),
    });
  });
  afterEach(() => t.close());

  const audits = (userId: string, type: string) => services.audit.list({ userId, type, limit: 10 });
  const newUser = (roles?: string[]) =>
    services.users.create({ email: uniqueEmail(), password: PASSWORD, ...(roles ? { roles } : {}) }, CLI);

  describe('create()', () => {
    it('stores the normalised email, default roles, and a password that checks', async () => {
      const user = await services.users.create({ email: '  Alice.Smith@Example.COM ', password: PASSWORD }, SELF);
      expect(user.email).toBe('alice.smith@example.com');
      expect(user.roles).toEqual(['user']);
      expect(user.disabled).toBe(false);
      expect(await services.userRepository.findByEmail('alice.smith@example.com')).toMatchObject({ id: user.id });
      const checked = await services.credentials.check('ALICE.SMITH@example.com', PASSWORD);
      expect(checked.user.id).toBe(user.id);
    });

    it('answers email_taken for another spelling of an address in use, and creates nothing', async () => {
      const first = await services.users.create({ email: 'bob@example.com', password: PASSWORD }, SELF);
      await expectDomainError(services.users.create({ email: ' BOB@Example.com', password: 'another password 12' }, SELF), 'email_taken');
      await expectDomainError(services.users.create({ email: 'bob@example.com', passwordHash: 'x' }, CLI), 'email_taken');
      const { users: all } = await services.users.list(10);
      expect(all.map((u) => u.id)).toEqual([first.id]);
      // The original password is untouched.
      expect((await services.credentials.check('bob@example.com', PASSWORD)).user.id).toBe(first.id);
    });

    it("records 'signup' for a self sign-up and 'user.created' (with actor and roles) otherwise", async () => {
      const self = await services.users.create(
        { email: uniqueEmail(), password: PASSWORD },
        { ...SELF, ip: '198.51.100.7', userAgent: 'ua/1' },
      );
      const [signup] = await audits(self.id, 'signup');
      expect(signup).toMatchObject({ type: 'signup', userId: self.id, actorId: null, ip: '198.51.100.7', userAgent: 'ua/1' });
      expect(signup!.details).toMatchObject({ via: 'self' });
      expect(await audits(self.id, 'user.created')).toEqual([]);

      const admin = await newUser(['user', 'admin']);
      const created = await services.users.create(
        { email: uniqueEmail(), password: PASSWORD, roles: ['user', 'editor'] },
        { actorId: admin.id, via: 'api' },
      );
      const [event] = await audits(created.id, 'user.created');
      expect(event).toMatchObject({ type: 'user.created', userId: created.id, actorId: admin.id });
      expect(event!.details).toEqual({ roles: 'user,editor', via: 'api' });
      expect(await audits(created.id, 'signup')).toEqual([]);

      const [cli] = await audits(admin.id, 'user.created');
      expect(cli!.details).toEqual({ roles: 'user,admin', via: 'cli', osUser: 'ops' });
    });
  });

  describe('setRoles()', () => {
    it('removing a role ends every session of the user at once and audits it', async () => {
      const user = await newUser(['user', 'editor']);
      const a = await services.sessions.start(user, NO_CLIENT);
      const b = await services.sessions.start(user, NO_CLIENT);
      const bystander = await services.sessions.start(await newUser(), NO_CLIENT);

      const after = await users.setRoles(user.id, ['user'], { actorId: null, via: 'cli' });
      expect(after.roles).toEqual(['user']);
      expect(endSessions.within).toHaveBeenCalledTimes(1);
      expect(endSessions.within).toHaveBeenCalledWith(expect.anything(), { userId: user.id }, 'roles_changed');
      expect(await services.sessions.listLive(user.id)).toEqual([]);
      expect(t.runtime.revocations.index.isRevoked(a.sessionId, 'any')).toBe(true);
      expect(t.runtime.revocations.index.isRevoked(b.sessionId, 'any')).toBe(true);
      expect(t.runtime.revocations.index.isRevoked(bystander.sessionId, 'any')).toBe(false);
      await expectDomainError(services.sessions.refresh(a.refreshToken), 'invalid_token');

      const [event] = await audits(user.id, 'user.roles_changed');
      expect(event!.details).toEqual({ roles: 'user', removed: 'editor', sessionsEnded: 2, via: 'cli' });
      expect((await services.users.get(user.id)).roles).toEqual(['user']);
    });

    it('the role change and the end of the sessions commit together: if ending fails, the role stays and a retry does both', async () => {
      const user = await newUser(['user', 'editor']);
      const session = await services.sessions.start(user, NO_CLIENT);
      endSessions.within.mockRejectedValueOnce(new Error('database went away'));
      await expect(users.setRoles(user.id, ['user'], { actorId: null, via: 'cli' })).rejects.toThrow('database went away');
      expect((await services.users.get(user.id)).roles).toEqual(['user', 'editor']);
      expect((await services.sessions.listLive(user.id)).map((s) => s.id)).toEqual([session.sessionId]);

      await users.setRoles(user.id, ['user'], { actorId: null, via: 'cli' });
      expect(await services.sessions.listLive(user.id)).toEqual([]);
      expect(t.runtime.revocations.index.isRevoked(session.sessionId, 'any')).toBe(true);
    });

    it('adding a role ends no session', async () => {
      const user = await newUser();
      const session = await services.sessions.start(user, NO_CLIENT);
      const after = await users.setRoles(user.id, ['user', 'editor'], { actorId: null, via: 'cli' });
      expect(after.roles).toEqual(['user', 'editor']);
      expect(endSessions.within).not.toHaveBeenCalled();
      expect((await services.sessions.listLive(user.id)).map((s) => s.id)).toEqual([session.sessionId]);
      expect(t.runtime.revocations.index.isRevoked(session.sessionId, 'any')).toBe(false);
      const [event] = await audits(user.id, 'user.roles_changed');
      expect(event!.details).toMatchObject({ removed: '', sessionsEnded: 0 });
      // The session keeps working, and its next refresh carries the new role.
      expect((await services.sessions.refresh(session.refreshToken)).user.roles).toEqual(['user', 'editor']);
    });

    it('refuses to demote the last enabled admin (last_admin), changing nothing', async () => {
      const admin = await newUser(['user', 'admin']);
      await services.sessions.start(admin, NO_CLIENT);
      await expectDomainError(users.setRoles(admin.id, ['user'], CLI), 'last_admin');
      expect((await services.users.get(admin.id)).roles).toEqual(['user', 'admin']);
      expect(endSessions.within).not.toHaveBeenCalled();
      expect(await services.sessions.listLive(admin.id)).toHaveLength(1);
      expect(await audits(admin.id, 'user.roles_changed')).toEqual([]);
    });

    it('lets one admin be demoted while another enabled admin remains; a disabled admin does not count', async () => {
      const first = await newUser(['user', 'admin']);
      const second = await newUser(['user', 'admin']);
      await users.disable(second.id, CLI);
      await expectDomainError(users.setRoles(first.id, ['user'], CLI), 'last_admin');

      await users.enable(second.id, CLI);
      expect((await users.setRoles(first.id, ['user'], CLI)).roles).toEqual(['user']);
      // Now `second` is the last one.
      await expectDomainError(users.setRoles(second.id, [], CLI), 'last_admin');
    });

    it('answers not_found for an unknown id', async () => {
      await expectDomainError(users.setRoles('no-such-user', ['user'], CLI), 'not_found');
      expect(endSessions.within).not.toHaveBeenCalled();
    });
  });

  describe('disable() and enable()', () => {
    it('refuse to disable the last enabled admin (last_admin)', async () => {
      const admin = await newUser(['user', 'admin']);
      await expectDomainError(users.disable(admin.id, CLI), 'last_admin');
      expect((await services.users.get(admin.id)).disabled).toBe(false);
      expect(endSessions.within).not.toHaveBeenCalled();
      expect((await services.credentials.check(admin.email, PASSWORD)).user.id).toBe(admin.id);
    });

    it('answer not_found for an unknown id', async () => {
      await expectDomainError(users.disable('no-such-user', CLI), 'not_found');
      await expectDomainError(users.enable('no-such-user', CLI), 'not_found');
      await expectDomainError(services.users.get('no-such-user'), 'not_found');
    });

    it('disable ends the sessions, refuses logins, and audits the actor; enable lets the user back in', async () => {
      const admin = await newUser(['user', 'admin']);
      const user = await newUser();
      const session = await services.sessions.start(user, NO_CLIENT);
      const actor: Actor = { actorId: admin.id, via: 'api', ip: '203.0.113.9', userAgent: 'admin-console/1' };

      await users.disable(user.id, actor);
      expect(endSessions.within).toHaveBeenCalledWith(expect.anything(), { userId: user.id }, 'disabled');
      expect((await services.users.get(user.id)).disabled).toBe(true);
      expect(t.runtime.revocations.index.isRevoked(session.sessionId, 'any')).toBe(true);
      await expectDomainError(services.credentials.check(user.email, PASSWORD), 'account_disabled');
      const [disabled] = await audits(user.id, 'user.disabled');
      expect(disabled).toMatchObject({ actorId: admin.id, ip: '203.0.113.9', userAgent: 'admin-console/1' });
      expect(disabled!.details).toEqual({ sessionsEnded: 1, via: 'api' });

      await users.enable(user.id, actor);
      expect((await services.users.get(user.id)).disabled).toBe(false);
      expect((await services.credentials.check(user.email, PASSWORD)).user.id).toBe(user.id);
      const [enabled] = await audits(user.id, 'user.enabled');
      expect(enabled).toMatchObject({ actorId: admin.id, ip: '203.0.113.9' });
      expect(enabled!.details).toEqual({ via: 'api' });
      // Enabling does not bring ended sessions back.
      await expectDomainError(services.sessions.refresh(session.refreshToken), 'invalid_token');
    });
  });
});
