import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_CLIENT } from '../../src/lib/client-info.ts';
import type { User } from '../../src/users/user.ts';
import { expectDomainError, servicesFor } from '../helpers/services.ts';
import { createTestApp, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

const MAX = 3;
const WINDOW_MS = 60_000;
const NEW_PASSWORD = 'a brand new passphrase 42';

describe('credentials service', () => {
  let t: TestApp;
  let services: ReturnType<typeof servicesFor>;
  let user: User;

  beforeEach(async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: String(MAX), RATE_LIMIT_WINDOW: `${WINDOW_MS}ms` });
    services = servicesFor(t);
    user = await services.users.create({ email: uniqueEmail(), password: PASSWORD }, { actorId: null, via: 'self' });
  });
  afterEach(() => t.close());

  const failures = (type: string) => services.audit.list({ type, limit: 50 });

  describe('check()', () => {
    it('accepts the right password under any spelling of the email and returns a device token', async () => {
      const result = await services.credentials.check(`  ${user.email.toUpperCase()} `, PASSWORD);
      expect(result.user).toMatchObject({ id: user.id, email: user.email, roles: ['user'] });
      expect(result.deviceToken).toMatch(/^[\w-]+\.\d+\.[\w-]+$/);
    });

    it('answers the same error for an unknown email and a wrong password', async () => {
      const unknown = await expectDomainError(services.credentials.check('nobody@example.com', PASSWORD), 'invalid_credentials');
      const wrong = await expectDomainError(services.credentials.check(user.email, 'not the password 1'), 'invalid_credentials');
      expect(wrong.detail).toBe(unknown.detail);
      expect(wrong.message).toBe(unknown.message);
      const reasons = (await failures('login.failure')).map((e) => e.details?.reason).sort();
      expect(reasons).toEqual(['unknown_email', 'wrong_password']);
    });

    it('answers account_disabled only after the right password', async () => {
      await services.users.create(
        { email: uniqueEmail('admin'), password: PASSWORD, roles: ['user', 'admin'] },
        { actorId: null, via: 'cli' },
      );
      await services.users.disable(user.id, { actorId: null, via: 'cli' });
      await expectDomainError(services.credentials.check(user.email, 'not the password 1'), 'invalid_credentials');
      await expectDomainError(services.credentials.check(user.email, PASSWORD), 'account_disabled');
    });

    it(`locks the account after ${MAX} failures (rate_limited with Retry-After), even for the right password`, async () => {
      for (let i = 0; i < MAX; i += 1) {
        await expectDomainError(
          services.credentials.check(i % 2 ? user.email.toUpperCase() : user.email, `wrong password ${i}`),
          'invalid_credentials',
        );
      }
      const locked = await expectDomainError(services.credentials.check(user.email, PASSWORD), 'rate_limited');
      expect(locked.retryAfterSeconds).toBeGreaterThan(0);
      expect(locked.retryAfterSeconds).toBeLessThanOrEqual(WINDOW_MS / 1000);
      expect(await failures('login.locked')).toHaveLength(1);

      // Another account is not affected.
      const other = await services.users.create({ email: uniqueEmail(), password: PASSWORD }, { actorId: null, via: 'self' });
      expect((await services.credentials.check(other.email, PASSWORD)).user.id).toBe(other.id);

      // Once the lock has passed, the owner gets in.
      t.clock.advance(locked.retryAfterSeconds! * 1000);
      expect((await services.credentials.check(user.email, PASSWORD)).user.id).toBe(user.id);
    });

    it('locks an unknown email the same way', async () => {
      for (let i = 0; i < MAX; i += 1) {
        await expectDomainError(services.credentials.check('ghost@example.com', `guess ${i}`), 'invalid_credentials');
      }
      await expectDomainError(services.credentials.check('ghost@example.com', 'guess 9'), 'rate_limited');
    });

    it('a success clears the count of failures', async () => {
      for (let i = 0; i < MAX - 1; i += 1)
        await expectDomainError(services.credentials.check(user.email, `wrong ${i}`), 'invalid_credentials');
      await services.credentials.check(user.email, PASSWORD);
      for (let i = 0; i < MAX; i += 1)
        await expectDomainError(services.credentials.check(user.email, `wrong again ${i}`), 'invalid_credentials');
      await expectDomainError(services.credentials.check(user.email, PASSWORD), 'rate_limited');
    });

    it("lets the owner's browser (device token) in while the account is locked by failures from elsewhere", async () => {
      const { deviceToken } = await services.credentials.check(user.email, PASSWORD);
      for (let i = 0; i < MAX; i += 1)
        await expectDomainError(services.credentials.check(user.email, `attacker ${i}`), 'invalid_credentials');
      await expectDomainError(services.credentials.check(user.email, PASSWORD), 'rate_limited');

      const owner = await services.credentials.check(user.email, PASSWORD, NO_CLIENT, deviceToken);
      expect(owner.user.id).toBe(user.id);
      expect(owner.deviceToken).not.toBe(deviceToken);
      // Still locked for everyone else.
      await expectDomainError(services.credentials.check(user.email, PASSWORD), 'rate_limited');
    });

    it('a device token only helps with its own account, and its failures lock only that device', async () => {
      const other = await services.users.create({ email: uniqueEmail(), password: PASSWORD }, { actorId: null, via: 'self' });
      const { deviceToken: otherDevice } = await services.credentials.check(other.email, PASSWORD);
      const { deviceToken } = await services.credentials.check(user.email, PASSWORD);
      for (let i = 0; i < MAX; i += 1)
        await expectDomainError(services.credentials.check(user.email, `attacker ${i}`), 'invalid_credentials');
      // Another account's device token (or garbage) counts as no device token.
      await expectDomainError(services.credentials.check(user.email, PASSWORD, NO_CLIENT, otherDevice), 'rate_limited');
      await expectDomainError(services.credentials.check(user.email, PASSWORD, NO_CLIENT, 'not.a.token'), 'rate_limited');

      // Failures through the device are counted against the device.
      for (let i = 0; i < MAX; i += 1) {
        await expectDomainError(services.credentials.check(user.email, `typo ${i}`, NO_CLIENT, deviceToken), 'invalid_credentials');
      }
      await expectDomainError(services.credentials.check(user.email, PASSWORD, NO_CLIENT, deviceToken), 'rate_limited');
    });
  });

  describe('changePassword()', () => {
    it('refuses a wrong current password (invalid_credentials) and keeps the old one', async () => {
      const session = await services.sessions.start(user, NO_CLIENT);
      await expectDomainError(
        services.credentials.changePassword({
          userId: user.id,
          currentSessionId: session.sessionId,
          currentPassword: 'not it 123',
          newPassword: NEW_PASSWORD,
        }),
        'invalid_credentials',
      );
      expect((await services.credentials.check(user.email, PASSWORD)).user.id).toBe(user.id);
      await expectDomainError(services.credentials.check(user.email, NEW_PASSWORD), 'invalid_credentials');
      expect(await services.sessions.listLive(user.id)).toHaveLength(1);
    });

    it('answers invalid_credentials for an unknown user', async () => {
      await expectDomainError(
        services.credentials.changePassword({
          userId: 'no-such-user',
          currentSessionId: 'x',
          currentPassword: PASSWORD,
          newPassword: NEW_PASSWORD,
        }),
        'invalid_credentials',
      );
    });

    it('throttles wrong current passwords', async () => {
      const change = (currentPassword: string) =>
        services.credentials.changePassword({ userId: user.id, currentSessionId: 'x', currentPassword, newPassword: NEW_PASSWORD });
      for (let i = 0; i < MAX; i += 1) await expectDomainError(change(`wrong ${i}`), 'invalid_credentials');
      const locked = await expectDomainError(change(PASSWORD), 'rate_limited');
      expect(locked.retryAfterSeconds).toBeGreaterThan(0);
      expect((await services.credentials.check(user.email, PASSWORD)).user.id).toBe(user.id);
    });

    it('refuses a new password containing the email name (validation_failed)', async () => {
      const local = user.email.split('@')[0]!;
      const error = await expectDomainError(
        services.credentials.changePassword({
          userId: user.id,
          currentSessionId: 'x',
          currentPassword: PASSWORD,
          newPassword: `${local}-secret`,
        }),
        'validation_failed',
      );
      expect(error.errors?.[0]?.path).toBe('newPassword');
      expect((await services.credentials.check(user.email, PASSWORD)).user.id).toBe(user.id);
    });

    it('changes the password and ends every other session, not the current one', async () => {
      const current = await services.sessions.start(user, NO_CLIENT);
      const other1 = await services.sessions.start(user, NO_CLIENT);
      const other2 = await services.sessions.start(user, NO_CLIENT);

      await services.credentials.changePassword({
        userId: user.id,
        currentSessionId: current.sessionId,
        currentPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
      });

      expect((await services.sessions.listLive(user.id)).map((s) => s.id)).toEqual([current.sessionId]);
      const index = t.runtime.revocations.index;
      expect(index.isRevoked(current.sessionId, 'any')).toBe(false);
      expect(index.isRevoked(other1.sessionId, 'any')).toBe(true);
      expect(index.isRevoked(other2.sessionId, 'any')).toBe(true);
      await expectDomainError(services.sessions.refresh(other1.refreshToken), 'invalid_token');
      expect((await services.sessions.refresh(current.refreshToken)).sessionId).toBe(current.sessionId);

      await expectDomainError(services.credentials.check(user.email, PASSWORD), 'invalid_credentials');
      expect((await services.credentials.check(user.email, NEW_PASSWORD)).user.id).toBe(user.id);
      const [event] = await services.audit.list({ userId: user.id, type: 'password.changed', limit: 5 });
      expect(event!.details).toEqual({ sessionsEnded: 2 });
    });
  });
});
