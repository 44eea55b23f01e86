import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRefreshTokens } from '../../src/tokens/refresh-token.ts';
import type { User } from '../../src/users/user.ts';
import { expectDomainError, servicesFor } from '../helpers/services.ts';
import { createTestApp, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

const SECOND = 1000;
const DAY = 86_400_000;
const CLIENT = { userAgent: 'vitest/1', ip: '192.0.2.10' };

describe('sessions service', () => {
  let t: TestApp;
  let services: ReturnType<typeof servicesFor>;
  let user: User;
  let other: User;

  beforeEach(async () => {
    t = await createTestApp();
    services = servicesFor(t);
    const create = () => services.users.create({ email: uniqueEmail(), password: PASSWORD }, { actorId: null, via: 'self' });
    user = await create();
    other = await create();
  });
  afterEach(() => t.close());

  const revoked = (sessionId: string) => t.runtime.revocations.index.isRevoked(sessionId, 'not-a-jti');
  const liveIds = async (userId: string) => (await services.sessions.listLive(userId)).map((s) => s.id).sort();
  const events = (type: string, userId = user.id) => services.audit.list({ userId, type, limit: 10 });

  describe('start()', () => {
    it('creates a live session and issues tokens bound to it', async () => {
      const issued = await services.sessions.start(user, CLIENT);
      expect(issued.user.id).toBe(user.id);
      expect(issued.accessExpiresIn).toBe(t.config.jwt.accessTtl);
      expect(issued.refreshExpiresIn).toBe(t.config.jwt.refreshTtl);
      const claims = services.accessTokens.verify(issued.accessToken);
      expect(claims).toMatchObject({ sub: user.id, sid: issued.sessionId, roles: ['user'] });
      expect(services.sessions.readRefreshToken(issued.refreshToken)).toMatchObject({ sub: user.id, sid: issued.sessionId });

      const [session] = await services.sessions.listLive(user.id);
      expect(session).toMatchObject({ id: issued.sessionId, userId: user.id, userAgent: 'vitest/1', ip: '192.0.2.10', revokedAt: null });
      const [event] = await events('login.success');
      expect(event).toMatchObject({ ip: '192.0.2.10', userAgent: 'vitest/1' });
      expect(event!.details).toEqual({ sessionId: issued.sessionId });
    });

    it('refuses (account_disabled) and ends the new session when the user was disabled meanwhile', async () => {
      await services.users.create(
        { email: uniqueEmail('admin'), password: PASSWORD, roles: ['user', 'admin'] },
        { actorId: null, via: 'cli' },
      );
      await services.users.disable(user.id, { actorId: null, via: 'cli' });
      await expectDomainError(services.sessions.start(user, CLIENT), 'account_disabled');
      expect(await liveIds(user.id)).toEqual([]);
      expect(await events('login.success')).toEqual([]);
    });
  });

  describe('refresh()', () => {
    it('rotates: same session, new tokens; the new refresh token works next', async () => {
      const first = await services.sessions.start(user, CLIENT);
      t.clock.advance(60 * SECOND);
      const second = await services.sessions.refresh(first.refreshToken);
      expect(second.sessionId).toBe(first.sessionId);
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(services.accessTokens.verify(second.accessToken).sid).toBe(first.sessionId);
      const third = await services.sessions.refresh(second.refreshToken);
      expect(third.sessionId).toBe(first.sessionId);
      expect(await liveIds(user.id)).toEqual([first.sessionId]);
    });

    it('reuse of a rotated token answers refresh_reused and ends the session', async () => {
      const first = await services.sessions.start(user, CLIENT);
      const second = await services.sessions.refresh(first.refreshToken);
      expect(revoked(first.sessionId)).toBe(false);

      await expectDomainError(services.sessions.refresh(first.refreshToken, CLIENT), 'refresh_reused');
      expect(await liveIds(user.id)).toEqual([]);
      expect(revoked(first.sessionId)).toBe(true);
      // The live token of the family is dead too.
      await expectDomainError(services.sessions.refresh(second.refreshToken), 'invalid_token');
      const [event] = await events('refresh.reuse_detected');
      expect(event!.details).toEqual({ sessionId: first.sessionId });
    });

    it('an expired refresh token answers token_expired', async () => {
      const issued = await services.sessions.start(user, CLIENT);
      t.clock.advance(t.config.jwt.refreshTtl * SECOND + t.config.jwt.clockTolerance * SECOND);
      await expectDomainError(services.sessions.refresh(issued.refreshToken), 'token_expired');
    });

    it('a refresh token just before its expiry still rotates', async () => {
      const issued = await services.sessions.start(user, CLIENT);
      t.clock.advance(t.config.jwt.refreshTtl * SECOND - SECOND);
      const next = await services.sessions.refresh(issued.refreshToken);
      expect(next.refreshExpiresIn).toBe(t.config.jwt.refreshTtl);
    });

    it('answers invalid_token for garbage, a forged token and a token of an ended session', async () => {
      await expectDomainError(services.sessions.refresh('not-a-token'), 'invalid_token');
      const issued = await services.sessions.start(user, CLIENT);
      const forger = createRefreshTokens({
        secret: Buffer.alloc(32, 7),
        clock: t.clock,
        issuer: t.config.jwt.issuer,
        ttlSeconds: 3600,
        clockToleranceSeconds: 5,
      });
      await expectDomainError(services.sessions.refresh(forger.sign({ sub: user.id, sid: issued.sessionId }).token), 'invalid_token');
      await services.sessions.logout(issued.refreshToken);
      await expectDomainError(services.sessions.refresh(issued.refreshToken), 'invalid_token');
    });

    it('ends the session of a disabled user on refresh', async () => {
      await services.users.create(
        { email: uniqueEmail('admin'), password: PASSWORD, roles: ['user', 'admin'] },
        { actorId: null, via: 'cli' },
      );
      const issued = await services.sessions.start(user, CLIENT);
      // Disabled behind the service's back, as another instance's stale view might leave it.
      await t.runtime.database.db.updateTable('users').set({ disabled: 1 }).where('id', '=', user.id).execute();
      await expectDomainError(services.sessions.refresh(issued.refreshToken), 'invalid_token');
      expect(revoked(issued.sessionId)).toBe(true);
    });
  });

  describe('logout(), logoutAll(), deleteSession()', () => {
    it('logout ends the session of the refresh token and revokes its access tokens at once', async () => {
      const a = await services.sessions.start(user, CLIENT);
      const b = await services.sessions.start(user, CLIENT);
      await services.sessions.logout(a.refreshToken, CLIENT);
      expect(await liveIds(user.id)).toEqual([b.sessionId]);
      expect(revoked(a.sessionId)).toBe(true);
      expect(revoked(b.sessionId)).toBe(false);
      await expectDomainError(services.sessions.refresh(a.refreshToken), 'invalid_token');
      expect(await events('logout')).toHaveLength(1);

      // A second logout with the same token is silent and records nothing more.
      await services.sessions.logout(a.refreshToken, CLIENT);
      expect(await events('logout')).toHaveLength(1);
    });

    it('logout is silent for no token, garbage, or an expired token', async () => {
      const issued = await services.sessions.start(user, CLIENT);
      await services.sessions.logout(undefined);
      await services.sessions.logout('garbage');
      expect(await liveIds(user.id)).toEqual([issued.sessionId]);
      t.clock.advance(8 * DAY);
      await expect(services.sessions.logout(issued.refreshToken)).resolves.toBeUndefined();
    });

    it("revokeAccessToken revokes one access token by jti, not the session's others", async () => {
      const issued = await services.sessions.start(user, CLIENT);
      const claims = services.accessTokens.verify(issued.accessToken);
      await services.sessions.revokeAccessToken(claims);
      expect(t.runtime.revocations.index.isRevoked('another-session', claims.jti)).toBe(true);
      expect(revoked(issued.sessionId)).toBe(false);
    });

    it("logoutAll ends every session of the user and no one else's", async () => {
      const a = await services.sessions.start(user, CLIENT);
      const b = await services.sessions.start(user, CLIENT);
      const theirs = await services.sessions.start(other, CLIENT);
      await services.sessions.logoutAll(user.id, CLIENT);
      expect(await liveIds(user.id)).toEqual([]);
      expect(await liveIds(other.id)).toEqual([theirs.sessionId]);
      expect([revoked(a.sessionId), revoked(b.sessionId), revoked(theirs.sessionId)]).toEqual([true, true, false]);
      const [event] = await events('logout_all');
      expect(event!.details).toEqual({ sessions: 2 });
    });

    it("deleteSession ends one of the user's own sessions", async () => {
      const a = await services.sessions.start(user, CLIENT);
      const b = await services.sessions.start(user, CLIENT);
      await services.sessions.deleteSession(user.id, a.sessionId, CLIENT);
      expect(await liveIds(user.id)).toEqual([b.sessionId]);
      expect(revoked(a.sessionId)).toBe(true);
      const [event] = await events('session.deleted');
      expect(event!.details).toEqual({ sessionId: a.sessionId });
    });

    it("deleteSession answers not_found for another user's session (leaving it live) and for an unknown id", async () => {
      const theirs = await services.sessions.start(other, CLIENT);
      await expectDomainError(services.sessions.deleteSession(user.id, theirs.sessionId, CLIENT), 'not_found');
      expect(await liveIds(other.id)).toEqual([theirs.sessionId]);
      expect(revoked(theirs.sessionId)).toBe(false);
      expect((await services.sessions.refresh(theirs.refreshToken)).sessionId).toBe(theirs.sessionId);
      await expectDomainError(services.sessions.deleteSession(user.id, 'no-such-session', CLIENT), 'not_found');
      expect(await events('session.deleted')).toEqual([]);
    });
  });
});

describe('a login racing an admin change', () => {
  it('issues the roles true once the session exists: a role removed during the password check is not in the token', async () => {
    const t = await createTestApp();
    try {
      const services = servicesFor(t);
      const user = await services.users.create(
        { email: uniqueEmail(), password: PASSWORD, roles: ['user', 'admin', 'ops'] },
        { actorId: null, via: 'cli' },
      );
      // The password was checked with the old roles; the removal commits before the session row exists.
      await services.users.setRoles(user.id, ['user', 'admin'], { actorId: null, via: 'cli' });
      const issued = await services.sessions.start(user, CLIENT);
      expect(issued.user.roles).toEqual(['user', 'admin']);
      const payload = JSON.parse(Buffer.from(issued.accessToken.split('.')[1]!, 'base64url').toString()) as { roles: string[] };
      expect(payload.roles).toEqual(['user', 'admin']);
    } finally {
      await t.close();
    }
  });
});
