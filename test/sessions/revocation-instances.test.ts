import type { Express } from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.ts';
import { fakeClock, type FakeClock } from '../helpers/clock.ts';
import { createTestApp, loginAsAdmin, openSecondInstance, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

const protectedOn = (app: Express, token: string) => request(app).get('/api/protected').set('Authorization', `Bearer ${token}`);

function expectRevoked(res: request.Response) {
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('token_revoked');
}

describe('revocation across instances sharing one database', () => {
  let clock: FakeClock;
  let a: TestApp;
  let b: { app: Express; runtime: Runtime };
  const extra: Runtime[] = [];

  beforeEach(async () => {
    clock = fakeClock();
    // A long background poll interval, so only the explicit poll() calls below move revocations.
    a = await createTestApp({ REVOCATION_POLL_INTERVAL: '1h' }, { clock });
    b = await openSecondInstance(a, clock);
  });
  afterEach(async () => {
    for (const runtime of extra.splice(0)) await runtime.close();
    await b.runtime.close();
    await a.close();
  });

  it('an access token from A works on B; after logout on A and one poll, B answers token_revoked', async () => {
    const s = await signupAndLogin(a.app);
    expect((await protectedOn(b.app, s.accessToken)).status).toBe(200);

    const logout = await request(a.app).post('/api/auth/logout').send({ refreshToken: s.refreshToken });
    expect(logout.status).toBe(204);
    expectRevoked(await protectedOn(a.app, s.accessToken));

    await b.runtime.revocations.poll();
    const res = await protectedOn(b.app, s.accessToken);
    expectRevoked(res);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    // The refresh token of that session is dead on B as well (database state).
    expect((await request(b.app).post('/api/auth/refresh').send({ refreshToken: s.refreshToken })).status).toBe(401);
  });

  it('an instance whose clock runs 10 s behind still delivers its revocations (the cursor is a sequence, not a time)', async () => {
    // C's clock is 10 s behind B's: the rows it writes carry older createdAt times than B has already polled past.
    const behind = fakeClock(clock.now() - 10_000);
    const c = await openSecondInstance(a, behind);
    extra.push(c.runtime);
    const s = await signupAndLogin(a.app);
    await b.runtime.revocations.poll();
    clock.advance(2000);
    behind.advance(2000);
    await b.runtime.revocations.poll();

    expect((await request(c.app).post('/api/auth/logout').send({ refreshToken: s.refreshToken })).status).toBe(204);
    await b.runtime.revocations.poll();
    expectRevoked(await protectedOn(b.app, s.accessToken));
  });

  it('a logout with only the Bearer access token (jti revocation) reaches B too', async () => {
    const s = await signupAndLogin(a.app);
    const logout = await request(a.app).post('/api/auth/logout').set('Authorization', `Bearer ${s.accessToken}`);
    expect(logout.status).toBe(204);
    expectRevoked(await protectedOn(a.app, s.accessToken));
    await b.runtime.revocations.poll();
    expectRevoked(await protectedOn(b.app, s.accessToken));
  });

  it('logout-all on B reaches A; other users are unaffected', async () => {
    const s1 = await signupAndLogin(a.app);
    const s2 = await request(b.app).post('/api/auth/login').send({ email: s1.email, password: s1.password });
    const other = await signupAndLogin(a.app);

    expect((await request(b.app).post('/api/auth/logout-all').set('Authorization', `Bearer ${s1.accessToken}`)).status).toBe(204);
    await a.runtime.revocations.poll();
    expectRevoked(await protectedOn(a.app, s1.accessToken));
    expectRevoked(await protectedOn(a.app, s2.body.accessToken));
    expect((await protectedOn(a.app, other.accessToken)).status).toBe(200);
    expect((await protectedOn(b.app, other.accessToken)).status).toBe(200);
  });

  it('an admin disable on A reaches B', async () => {
    const admin = await loginAsAdmin(a);
    const s = await signupAndLogin(a.app);
    expect((await protectedOn(b.app, s.accessToken)).status).toBe(200);
    const res = await request(a.app).post(`/api/admin/users/${s.userId}/disable`).set('Authorization', `Bearer ${admin.accessToken}`);
    expect(res.status).toBe(204);
    await b.runtime.revocations.poll();
    expectRevoked(await protectedOn(b.app, s.accessToken));
  });

  it('refresh-token reuse detected on B revokes the access tokens on A after a poll', async () => {
    const s = await signupAndLogin(a.app);
    const rotated = await request(a.app).post('/api/auth/refresh').send({ refreshToken: s.refreshToken });
    expect(rotated.status).toBe(200);
    const reused = await request(b.app).post('/api/auth/refresh').send({ refreshToken: s.refreshToken });
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('refresh_reused');
    await a.runtime.revocations.poll();
    expectRevoked(await protectedOn(a.app, rotated.body.accessToken));
  });

  it('an instance opened after a revocation refuses the revoked token from startup', async () => {
    const s = await signupAndLogin(a.app);
    const kept = await signupAndLogin(a.app);
    expect((await request(a.app).post('/api/auth/logout').send({ refreshToken: s.refreshToken })).status).toBe(204);

    clock.advance(60_000); // a minute later, still within the access token's lifetime
    const c = await openSecondInstance(a, clock);
    extra.push(c.runtime);
    expectRevoked(await protectedOn(c.app, s.accessToken));
    expect((await protectedOn(c.app, kept.accessToken)).status).toBe(200);
  });

  it('a jti revocation is also loaded at startup by a new instance', async () => {
    const s = await signupAndLogin(a.app);
    expect((await request(a.app).post('/api/auth/logout').set('Authorization', `Bearer ${s.accessToken}`)).status).toBe(204);
    clock.advance(5 * 60_000);
    const c = await openSecondInstance(a, clock);
    extra.push(c.runtime);
    expectRevoked(await protectedOn(c.app, s.accessToken));
  });
});
