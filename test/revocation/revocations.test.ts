import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../src/lib/clock.ts';
import { createRevocations, type Revocations } from '../../src/revocation/revocations.ts';
import { createEndSessions } from '../../src/sessions/end-sessions.ts';
import { createSessionRepository } from '../../src/sessions/session.repository.ts';
import { createUserRepository } from '../../src/users/user.repository.ts';
import { fakeClock } from '../helpers/clock.ts';
import { silentLogger } from '../helpers/services.ts';
import { createTestApp, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 86_400_000;
const ACCESS_TTL_S = 900;
const TOLERANCE_S = 5;

describe('revocations (database record + local index + poll)', () => {
  let t: TestApp;
  let userId: string;
  let sessions: ReturnType<typeof createSessionRepository>;
  const instances: Revocations[] = [];

  /** An instance's revocations on the test database; its timer poll is never due in a test. */
  const instance = (clock: Clock = t.clock): Revocations => {
    const r = createRevocations({
      db: t.runtime.database.db,
      clock,
      logger: silentLogger(),
      accessTtlSeconds: ACCESS_TTL_S,
      clockToleranceSeconds: TOLERANCE_S,
      pollMs: 3_600_000,
    });
    instances.push(r);
    return r;
  };

  let n = 0;
  const newSession = async (now = t.clock.now()): Promise<string> => {
    const id = `session-${++n}`;
    await sessions.create({
      id,
      userId,
      now,
      expiresAt: now + DAY,
      absoluteExpiresAt: null,
      userAgent: null,
      ip: null,
      tokenHash: `hash-${id}`,
      tokenExpiresAt: now + DAY,
    });
    return id;
  };

  /** Ends a session the way the session repository does for every end: row and revocation in one transaction. */
  const endInDb = (sessionId: string, by: Revocations, now = t.clock.now()) =>
    sessions.end({ sessionId }, 'logout', now, by.coverUntil(now));

  const revocationRows = async () =>
    (await t.runtime.database.db.selectFrom('revocations').select(['id', 'kind']).execute()).map((r) => `${r.kind}:${r.id}`).sort();

  const isSessionRevoked = (r: Revocations, sid: string) => r.index.isRevoked(sid, 'unrelated-jti');
  const isTokenRevoked = (r: Revocations, jti: string) => r.index.isRevoked('unrelated-sid', jti);

  beforeEach(async () => {
    t = await createTestApp();
    sessions = createSessionRepository(t.runtime.database.db);
    userId = 'user-1';
    await createUserRepository(t.runtime.database.db).create({
      id: userId,
      email: uniqueEmail(),
      name: null,
      passwordHash: 'not-a-hash',
      roles: ['user'],
      now: t.clock.now(),
    });
  });
  afterEach(async () => {
    for (const r of instances.splice(0)) r.stop();
    await t.close();
  });

  it('coverUntil() outlasts every access token issued now', () => {
    const a = instance();
    const now = t.clock.now();
    expect(a.coverUntil(now)).toBeGreaterThanOrEqual(now + (ACCESS_TTL_S + TOLERANCE_S) * SECOND);
    expect(a.coverUntil(now + MINUTE) - a.coverUntil(now)).toBe(MINUTE);
  });

  it('revokeToken() applies on this instance at once and reaches another instance at its next poll', async () => {
    const a = instance();
    const b = instance();
    const exp = Math.floor(t.clock.now() / 1000) + ACCESS_TTL_S;
    await a.revokeToken('jti-1', exp);
    expect(isTokenRevoked(a, 'jti-1')).toBe(true);
    expect(isSessionRevoked(a, 'jti-1')).toBe(false);
    expect(isTokenRevoked(b, 'jti-1')).toBe(false);
    await b.poll();
    expect(isTokenRevoked(b, 'jti-1')).toBe(true);
    expect(await revocationRows()).toEqual(['jti:jti-1']);
  });

  it('a revoked token stays revoked until it has expired, leeway included', async () => {
    const exp = Math.floor(t.clock.now() / 1000) + ACCESS_TTL_S;
    await instance().revokeToken('jti-1', exp);
    t.clock.set((exp + TOLERANCE_S) * SECOND);
    const late = instance();
    await late.poll();
    expect(isTokenRevoked(late, 'jti-1')).toBe(true);
  });

  it('applySessions() revokes sessions on this instance at once, for as long as their tokens live', async () => {
    const a = instance();
    const now = t.clock.now();
    a.applySessions(['s-1', 's-2'], now);
    expect(isSessionRevoked(a, 's-1')).toBe(true);
    expect(isSessionRevoked(a, 's-2')).toBe(true);
    expect(isSessionRevoked(a, 's-3')).toBe(false);

    t.clock.set(now + (ACCESS_TTL_S + TOLERANCE_S) * SECOND);
    await a.poll();
    expect(isSessionRevoked(a, 's-1')).toBe(true);
    // Once no token of theirs can be live, the index forgets them.
    t.clock.set(a.coverUntil(now));
    await a.poll();
    expect(a.index.size()).toBe(0);
    expect(isSessionRevoked(a, 's-1')).toBe(false);
  });

  it('ending a session applies here at once; a second instance on the same database sees it after poll()', async () => {
    const a = instance();
    const b = instance();
    const endSessions = createEndSessions({ sessions, revocations: a, clock: t.clock });
    const s1 = await newSession();
    const s2 = await newSession();

    expect(await endSessions({ sessionId: s1 }, 'logout')).toEqual([s1]);
    expect(isSessionRevoked(a, s1)).toBe(true);
    expect(isSessionRevoked(b, s1)).toBe(false);
    await b.poll();
    expect(isSessionRevoked(b, s1)).toBe(true);
    expect(isSessionRevoked(b, s2)).toBe(false);
  });

  it('start() loads every live revocation already recorded', async () => {
    const a = instance();
    const s1 = await newSession();
    await endInDb(s1, a);
    await a.revokeToken('jti-1', Math.floor(t.clock.now() / 1000) + ACCESS_TTL_S);

    const fresh = instance();
    await fresh.start();
    expect(isSessionRevoked(fresh, s1)).toBe(true);
    expect(isTokenRevoked(fresh, 'jti-1')).toBe(true);
  });

  it('the poll cursor reads each row once and skips none, even rows written by an instance whose clock is behind', async () => {
    const a = instance();
    const b = instance();
    const s1 = await newSession();
    const s2 = await newSession();
    const s3 = await newSession();

    await endInDb(s1, a);
    const applied = vi.spyOn(b.index, 'apply');
    await b.poll();
    expect(isSessionRevoked(b, s1)).toBe(true);
    expect([...applied.mock.lastCall![0]].map((r) => r.id)).toEqual([s1]);

    // Nothing new: nothing is applied again.
    await b.poll();
    expect([...applied.mock.lastCall![0]]).toEqual([]);

    // A writer ten minutes behind commits after b has read a later-stamped row.
    const behind = fakeClock(t.clock.now() - 10 * MINUTE);
    await endInDb(s2, a, behind.now());
    await endInDb(s3, a);
    await b.poll();
    expect([...applied.mock.lastCall![0]].map((r) => r.id).sort()).toEqual([s2, s3].sort());
    expect([s1, s2, s3].map((sid) => isSessionRevoked(b, sid))).toEqual([true, true, true]);
  });

  it('prunes rows whose tokens have all expired, and never applies them', async () => {
    const a = instance();
    const s1 = await newSession();
    const now = t.clock.now();
    await endInDb(s1, a, now);
    await a.revokeToken('short', Math.floor(now / 1000) + 10);
    expect(await revocationRows()).toEqual(['jti:short', `sid:${s1}`]);

    t.clock.advance(MINUTE);
    const late = instance();
    await late.poll();
    expect(isTokenRevoked(late, 'short')).toBe(false);
    expect(isSessionRevoked(late, s1)).toBe(true);
    expect(await revocationRows()).toEqual([`sid:${s1}`]);

    t.clock.set(a.coverUntil(now));
    const later = instance();
    await later.poll();
    expect(isSessionRevoked(later, s1)).toBe(false);
    expect(await revocationRows()).toEqual([]);
  });
});
