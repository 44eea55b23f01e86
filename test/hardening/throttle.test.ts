import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryThrottle } from '../../src/auth/account-throttle.ts';
import { fakeClock } from '../helpers/clock.ts';
import { createTestApp, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { bearer, expectProblem } from '../helpers/auth-assertions.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let ipCounter = 0;
/** A distinct client address per call (TEST-NET-2 / TEST-NET-3 style addresses). */
const nextIp = () => {
  ipCounter += 1;
  return `198.51.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
};

const login = (t: TestApp, email: string, password: string, ip = nextIp()) =>
  request(t.app).post('/api/auth/login').set('X-Forwarded-For', ip).send({ email, password });

async function signup(t: TestApp, email = uniqueEmail(), password = PASSWORD) {
  const res = await request(t.app).post('/api/auth/signup').set('X-Forwarded-For', nextIp()).send({ email, password });
  expect(res.status).toBe(201);
  return { email, password, userId: res.body.user.id as string };
}

const retryAfter = (res: request.Response): number => {
  const value = res.headers['retry-after'];
  expect(value).toMatch(/^\d+$/);
  const seconds = Number(value);
  expect(seconds).toBeGreaterThan(0);
  return seconds;
};

/** `count` wrong passwords, each from a new address; returns the responses. */
async function failMany(t: TestApp, email: string, count: number) {
  const out: request.Response[] = [];
  for (let i = 0; i < count; i++) out.push(await login(t, email, `wrong-password-${i}-${ipCounter}`));
  return out;
}

describe('per-account throttle over HTTP (TRUST_PROXY, many addresses)', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('locks one account after 5 failures from 25 different addresses; others unaffected; unlocks after Retry-After', async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '5', TRUST_PROXY: 'true' });
    const victim = await signup(t);
    const other = await signup(t);

    const responses = await failMany(t, victim.email, 25);
    responses.slice(0, 5).forEach((res) => expectProblem(res, 401, 'invalid_credentials'));
    for (const res of responses.slice(5)) {
      expectProblem(res, 429, 'rate_limited');
      retryAfter(res);
    }
    const firstRetry = retryAfter(responses[5]!);
    // One window (RATE_LIMIT_WINDOW default 15 min).
    expect(firstRetry).toBeGreaterThanOrEqual(15 * 60 - 1);
    expect(firstRetry).toBeLessThanOrEqual(15 * 60);

    // Another account is unaffected.
    const otherLogin = await login(t, other.email, other.password);
    expect(otherLogin.status).toBe(200);

    // The owner's correct password is refused too while the lock holds.
    const ownerDuringLock = await login(t, victim.email, victim.password);
    expectProblem(ownerDuringLock, 429, 'rate_limited');
    const remaining = retryAfter(ownerDuringLock);

    t.clock.advance((remaining + 1) * 1000);
    const afterLock = await login(t, victim.email, victim.password);
    expect(afterLock.status).toBe(200);
    expect(afterLock.body.user.id).toBe(victim.userId);
  });

  it('doubles the lock on the next lock-out (exponential back-off)', async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '5', TRUST_PROXY: 'true' });
    const victim = await signup(t);

    const first = await failMany(t, victim.email, 6);
    expectProblem(first[5]!, 429, 'rate_limited');
    const r1 = retryAfter(first[5]!);

    t.clock.advance((r1 + 1) * 1000);
    const second = await failMany(t, victim.email, 6);
    second.slice(0, 5).forEach((res) => expectProblem(res, 401, 'invalid_credentials'));
    expectProblem(second[5]!, 429, 'rate_limited');
    const r2 = retryAfter(second[5]!);
    expect(r2).toBeGreaterThanOrEqual(1.9 * r1);
  });

  it('a success clears the strikes: the next lock lasts one window again', async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '5', TRUST_PROXY: 'true' });
    const victim = await signup(t);

    const first = await failMany(t, victim.email, 6);
    const r1 = retryAfter(first[5]!);
    t.clock.advance((r1 + 1) * 1000);
    const second = await failMany(t, victim.email, 6);
    const r2 = retryAfter(second[5]!);
    expect(r2).toBeGreaterThanOrEqual(1.9 * r1);

    t.clock.advance((r2 + 1) * 1000);
    expect((await login(t, victim.email, victim.password)).status).toBe(200);

    const third = await failMany(t, victim.email, 6);
    third.slice(0, 5).forEach((res) => expectProblem(res, 401, 'invalid_credentials'));
    expectProblem(third[5]!, 429, 'rate_limited');
    const r3 = retryAfter(third[5]!);
    expect(r3).toBeLessThanOrEqual(r1);
    expect(r3).toBeGreaterThanOrEqual(r1 - 1);
  });

  it('locks the password change after 5 wrong currentPassword attempts', async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '5', TRUST_PROXY: 'true' });
    const session = await signupAndLogin(t.app);
    const change = (currentPassword: string) =>
      request(t!.app)
        .post('/api/auth/password')
        .set('Authorization', bearer(session.accessToken))
        .set('X-Forwarded-For', nextIp())
        .send({ currentPassword, newPassword: 'a brand new passphrase 42' });

    for (let i = 0; i < 5; i++) expectProblem(await change(`not-my-password-${i}`), 401, 'invalid_credentials');
    const locked = await change('not-my-password-again');
    expectProblem(locked, 429, 'rate_limited');
    retryAfter(locked);
    // The correct current password waits as well.
    const right = await change(session.password);
    expectProblem(right, 429, 'rate_limited');
    retryAfter(right);
  });
});

describe('per-client limit without TRUST_PROXY', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('ignores X-Forwarded-For: the 6th request is 429 whatever address it claims', async () => {
    t = await createTestApp({ RATE_LIMIT_IP_MAX: '5' });
    for (let i = 0; i < 5; i++) {
      const res = await login(t, uniqueEmail('nobody'), PASSWORD);
      expectProblem(res, 401, 'invalid_credentials');
    }
    for (let i = 0; i < 3; i++) {
      const blocked = await login(t, uniqueEmail('nobody'), PASSWORD);
      expectProblem(blocked, 429, 'rate_limited');
      retryAfter(blocked);
    }
  });
});

describe('createMemoryThrottle (unit, fake clock)', () => {
  const policy = { max: 3, windowMs: HOUR };

  /** Makes `max` allowed attempts, then returns the lock the next attempt starts. */
  async function lockOut(throttle: ReturnType<typeof createMemoryThrottle>, key: string): Promise<number> {
    for (let i = 0; i < policy.max; i++) expect(await throttle.attempt(key)).toBe(0);
    return throttle.attempt(key);
  }

  it('locks for one window, then 2x, 4x, ... capped at 24 h', async () => {
    const clock = fakeClock();
    const throttle = createMemoryThrottle(policy, clock);
    const expected = [HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, DAY, DAY, DAY];
    for (const duration of expected) {
      const lock = await lockOut(throttle, 'k');
      expect(lock).toBe(duration);
      expect(await throttle.attempt('k')).toBe(duration);
      clock.advance(duration - 1);
      expect(await throttle.attempt('k')).toBe(1);
      clock.advance(1);
    }
  });

  it('counts attempts before they are checked: a burst gets at most `max` through', async () => {
    const throttle = createMemoryThrottle(policy, fakeClock());
    const results = await Promise.all(Array.from({ length: 20 }, () => throttle.attempt('k')));
    expect(results.filter((ms) => ms === 0)).toHaveLength(policy.max);
    expect(results.filter((ms) => ms === HOUR)).toHaveLength(20 - policy.max);
  });

  it('keeps keys apart', async () => {
    const clock = fakeClock();
    const throttle = createMemoryThrottle(policy, clock);
    expect(await lockOut(throttle, 'a')).toBe(HOUR);
    expect(await throttle.attempt('b')).toBe(0);
    await throttle.succeed('b');
    expect(await lockOut(throttle, 'b')).toBe(HOUR);
  });

  it('forgets attempts older than one window', async () => {
    const clock = fakeClock();
    const throttle = createMemoryThrottle(policy, clock);
    for (let i = 0; i < policy.max; i++) expect(await throttle.attempt('k')).toBe(0);
    clock.advance(HOUR);
    expect(await throttle.attempt('k')).toBe(0);
  });

  it('success clears attempts and strikes', async () => {
    const clock = fakeClock();
    const throttle = createMemoryThrottle(policy, clock);
    expect(await lockOut(throttle, 'k')).toBe(HOUR);
    clock.advance(HOUR);
    expect(await lockOut(throttle, 'k')).toBe(2 * HOUR);
    await throttle.succeed('k');
    expect(await throttle.attempt('k')).toBe(0);
    await throttle.succeed('k');
    expect(await lockOut(throttle, 'k')).toBe(HOUR);
  });

  it('forgets strikes a day after the last lock ends', async () => {
    const clock = fakeClock();
    const throttle = createMemoryThrottle(policy, clock);
    expect(await lockOut(throttle, 'k')).toBe(HOUR);
    clock.advance(HOUR);
    expect(await lockOut(throttle, 'k')).toBe(2 * HOUR);
    // Just before a day has passed since that lock ended: still remembered.
    clock.advance(2 * HOUR + DAY - 1);
    expect(await lockOut(throttle, 'k')).toBe(4 * HOUR);

    // A full day after the end of the last lock: back to one window.
    clock.advance(4 * HOUR + DAY);
    expect(await lockOut(throttle, 'k')).toBe(HOUR);
  });
});

describe('a burst of concurrent wrong passwords', () => {
  it('gets at most RATE_LIMIT_ACCOUNT_MAX password checks; the rest are refused before hashing', async () => {
    const t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '5' });
    try {
      const s = await signupAndLogin(t.app);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          request(t.app)
            .post('/api/auth/login')
            .send({ email: s.email, password: `wrong guess ${i}` }),
        ),
      );
      expect(results.filter((r) => r.status === 401)).toHaveLength(5);
      expect(results.filter((r) => r.status === 429)).toHaveLength(25);
    } finally {
      await t.close();
    }
  });
});
