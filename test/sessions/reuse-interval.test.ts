import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';
import { sidOf } from '../helpers/cookies.ts';

const refreshWith = (t: TestApp, refreshToken: string) => request(t.app).post('/api/auth/refresh').send({ refreshToken });
const protectedWith = (t: TestApp, token: string) => request(t.app).get('/api/protected').set('Authorization', `Bearer ${token}`);

async function expectRevoked(t: TestApp, accessToken: string) {
  const res = await protectedWith(t, accessToken);
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('token_revoked');
}

describe('refresh token reuse detection', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  describe('default (no reuse interval)', () => {
    it('presenting a rotated token is refresh_reused and ends the whole session', async () => {
      t = await createTestApp();
      const a = await signupAndLogin(t.app);
      const b = await refreshWith(t, a.refreshToken);
      expect(b.status).toBe(200);

      const reused = await refreshWith(t, a.refreshToken);
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('refresh_reused');

      const newest = await refreshWith(t, b.body.refreshToken);
      expect(newest.status).toBe(401);
      await expectRevoked(t, a.accessToken);
      await expectRevoked(t, b.body.accessToken);
    });

    it('reuse is detected even a moment later, with no grace', async () => {
      t = await createTestApp();
      const a = await signupAndLogin(t.app);
      expect((await refreshWith(t, a.refreshToken)).status).toBe(200);
      t.clock.advance(1);
      const reused = await refreshWith(t, a.refreshToken);
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('refresh_reused');
    });

    it("reuse in one session leaves the user's other sessions alone", async () => {
      t = await createTestApp();
      const a = await signupAndLogin(t.app);
      const other = await request(t.app).post('/api/auth/login').send({ email: a.email, password: a.password });
      expect((await refreshWith(t, a.refreshToken)).status).toBe(200);
      expect((await refreshWith(t, a.refreshToken)).body.code).toBe('refresh_reused');
      expect((await protectedWith(t, other.body.accessToken)).status).toBe(200);
      expect((await refreshWith(t, other.body.refreshToken)).status).toBe(200);
    });
  });

  describe('JWT_REFRESH_REUSE_INTERVAL=10s', () => {
    it('the direct parent presented within the interval gets a fresh pair for the same session; the child keeps working', async () => {
      t = await createTestApp({ JWT_REFRESH_REUSE_INTERVAL: '10s' });
      const a = await signupAndLogin(t.app);
      const b = await refreshWith(t, a.refreshToken);
      expect(b.status).toBe(200);

      t.clock.advance(2000);
      const again = await refreshWith(t, a.refreshToken);
      expect(again.status).toBe(200);
      expect(typeof again.body.accessToken).toBe('string');
      expect(typeof again.body.refreshToken).toBe('string');
      expect(again.body.refreshToken).not.toBe(b.body.refreshToken);
      expect(sidOf(again.body.accessToken)).toBe(sidOf(a.accessToken));
      expect((await protectedWith(t, again.body.accessToken)).status).toBe(200);

      const child = await refreshWith(t, b.body.refreshToken);
      expect(child.status).toBe(200);
      expect(sidOf(child.body.accessToken)).toBe(sidOf(a.accessToken));
      expect((await protectedWith(t, a.accessToken)).status).toBe(200);
    });

    it('the parent presented after the interval (11 s) is refresh_reused and the session ends', async () => {
      t = await createTestApp({ JWT_REFRESH_REUSE_INTERVAL: '10s' });
      const a = await signupAndLogin(t.app);
      const b = await refreshWith(t, a.refreshToken);
      expect(b.status).toBe(200);

      t.clock.advance(11_000);
      const reused = await refreshWith(t, a.refreshToken);
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('refresh_reused');

      expect((await refreshWith(t, b.body.refreshToken)).status).toBe(401);
      await expectRevoked(t, a.accessToken);
      await expectRevoked(t, b.body.accessToken);
    });

    it('a token two generations old (A after A->B->C) is refresh_reused even within the interval', async () => {
      t = await createTestApp({ JWT_REFRESH_REUSE_INTERVAL: '10s' });
      const a = await signupAndLogin(t.app);
      const b = await refreshWith(t, a.refreshToken);
      expect(b.status).toBe(200);
      t.clock.advance(1000);
      const c = await refreshWith(t, b.body.refreshToken);
      expect(c.status).toBe(200);
      t.clock.advance(1000);

      const reused = await refreshWith(t, a.refreshToken);
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('refresh_reused');

      expect((await refreshWith(t, c.body.refreshToken)).status).toBe(401);
      await expectRevoked(t, c.body.accessToken);
    });

    it('the parent is exchanged at most once: a second replay inside the window is refresh_reused and ends both branches', async () => {
      t = await createTestApp({ JWT_REFRESH_REUSE_INTERVAL: '10s' });
      const a = await signupAndLogin(t.app);
      const b = await refreshWith(t, a.refreshToken);
      expect(b.status).toBe(200);
      t.clock.advance(1000);
      const sibling = await refreshWith(t, a.refreshToken);
      expect(sibling.status).toBe(200);

      t.clock.advance(1000);
      const replay = await refreshWith(t, a.refreshToken);
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('refresh_reused');
      expect((await refreshWith(t, b.body.refreshToken)).status).toBe(401);
      expect((await refreshWith(t, sibling.body.refreshToken)).status).toBe(401);
      await expectRevoked(t, b.body.accessToken);
      await expectRevoked(t, sibling.body.accessToken);
    });

    it('the two branches are one chain: rotating the sibling retires the child, and presenting the child is reuse', async () => {
      t = await createTestApp({ JWT_REFRESH_REUSE_INTERVAL: '10s' });
      const a = await signupAndLogin(t.app);
      const child = await refreshWith(t, a.refreshToken);
      const sibling = await refreshWith(t, a.refreshToken);
      expect([child.status, sibling.status]).toEqual([200, 200]);

      const next = await refreshWith(t, sibling.body.refreshToken);
      expect(next.status).toBe(200);
      // Much later (past the window), so only the chain rule applies.
      t.clock.advance(60_000);
      const retired = await refreshWith(t, child.body.refreshToken);
      expect(retired.status).toBe(401);
      expect(retired.body.code).toBe('refresh_reused');
      expect((await refreshWith(t, next.body.refreshToken)).status).toBe(401);
      await expectRevoked(t, next.body.accessToken);
    });

    it('rotating the child retires the sibling, even inside the window', async () => {
      t = await createTestApp({ JWT_REFRESH_REUSE_INTERVAL: '10s' });
      const a = await signupAndLogin(t.app);
      const child = await refreshWith(t, a.refreshToken);
      const sibling = await refreshWith(t, a.refreshToken);
      const next = await refreshWith(t, child.body.refreshToken);
      expect([child.status, sibling.status, next.status]).toEqual([200, 200, 200]);

      const retired = await refreshWith(t, sibling.body.refreshToken);
      expect(retired.status).toBe(401);
      expect(retired.body.code).toBe('refresh_reused');
      await expectRevoked(t, next.body.accessToken);
    });

    it('of 8 concurrent replays of a rotated parent at most one is honoured; a stolen parent cannot start chains', async () => {
      t = await createTestApp({ JWT_REFRESH_REUSE_INTERVAL: '10s' });
      const a = await signupAndLogin(t.app);
      const child = await refreshWith(t, a.refreshToken);
      expect(child.status).toBe(200);
      const replays = await Promise.all(Array.from({ length: 8 }, () => refreshWith(t!, a.refreshToken)));
      expect(replays.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
      // The first refused replay is reuse; replays that arrive after it find the session ended.
      expect(replays.filter((r) => r.status === 401)).toHaveLength(replays.length - replays.filter((r) => r.status === 200).length);
      expect(replays.some((r) => r.body.code === 'refresh_reused')).toBe(true);
      // Reuse was detected, so the session is over for every branch.
      expect((await refreshWith(t, child.body.refreshToken)).status).toBe(401);
      for (const replay of replays.filter((r) => r.status === 200)) await expectRevoked(t, replay.body.accessToken);
    });

    it('a grace exchange racing the rotation of the child never leaves two live branches (PostgreSQL row locks)', async () => {
      t = await createTestApp({ JWT_REFRESH_REUSE_INTERVAL: '10s' });
      for (let i = 0; i < 10; i += 1) {
        const a = await signupAndLogin(t.app);
        const child = await refreshWith(t, a.refreshToken);
        expect(child.status).toBe(200);
        const [replay, next] = await Promise.all([refreshWith(t, a.refreshToken), refreshWith(t, child.body.refreshToken)]);
        expect([replay.status, next.status]).toContain(200);
        const live = await t.runtime.database.db
          .selectFrom('refreshTokens')
          .select('tokenHash')
          .where('sessionId', '=', sidOf(a.accessToken))
          .where('usedAt', 'is', null)
          .execute();
        expect(live.length, `iteration ${i}`).toBeLessThanOrEqual(1);
      }
    });
  });
});
