import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import request from 'supertest';
import { sha256 } from '../../src/lib/hash.ts';
import { createSessionRepository } from '../../src/sessions/session.repository.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

const sidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;

describe('rotation of a session that ended meanwhile', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('changes nothing and reports the session ended (a refresh racing a logout gets no new pair)', async () => {
    const s = await signupAndLogin(t.app);
    const sessions = createSessionRepository(t.runtime.database.db);
    const sid = sidOf(s.refreshToken);
    const now = t.clock.now();
    await sessions.end({ sessionId: sid }, 'logout', now, now + 1_000_000);
    const before = await sessions.find(sid);

    const result = await sessions.rotate({
      sessionId: sid,
      oldHash: sha256(s.refreshToken),
      newHash: sha256('next'),
      now: now + 1000,
      tokenExpiresAt: now + 10_000,
      sessionExpiresAt: now + 10_000,
    });
    expect(result).toEqual({ outcome: 'ended' });
    expect(await sessions.find(sid)).toEqual(before);
    const token = await t.runtime.database.db
      .selectFrom('refreshTokens')
      .select(['usedAt'])
      .where('tokenHash', '=', sha256(s.refreshToken))
      .executeTakeFirstOrThrow();
    expect(token.usedAt).toBeNull();
  });

  it("ending a session by id for another user changes nothing (even without the route's own check)", async () => {
    const a = await signupAndLogin(t.app);
    const b = await signupAndLogin(t.app);
    const sessions = createSessionRepository(t.runtime.database.db);
    const now = t.clock.now();
    const ended = await sessions.end({ sessionId: sidOf(a.refreshToken), userId: b.userId }, 'deleted', now, now + 1000);
    expect(ended).toEqual([]);
    expect((await request(t.app).get('/api/protected').set('Authorization', `Bearer ${a.accessToken}`)).status).toBe(200);
  });
});
