import type { Express } from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../helpers/database.ts';
import { expectProblem } from '../helpers/problem-assertions.ts';
import type { Runtime } from '../../src/runtime.ts';
import { createTestApp, openSecondInstance, type TestApp } from '../helpers/test-app.ts';
import { currentCode, enrolledUser, passwordStep, STEP_MS, verify } from './mfa-helpers.ts';

/**
 * Two instances of the server on one database, as behind a load balancer: a code must be
 * accepted once in all, which only the database can decide (a conditional UPDATE on last_step).
 */
describe('a TOTP code across instances', () => {
  let t: TestApp;
  let second: { app: Express; runtime: Runtime };
  beforeEach(async () => {
    t = await createTestApp();
    second = await openSecondInstance(t);
  });
  afterEach(async () => {
    await second.runtime.close();
    await t.close();
  });

  it('one after the other: the code works on one instance, and is refused on the other', async () => {
    const user = await enrolledUser(t);
    const code = currentCode(user.secret, t.clock);
    const [a, b] = [await passwordStep(t.app, user.email), await passwordStep(second.app, user.email)];
    expect((await verify(t.app, a, code)).status).toBe(200);
    expectProblem(await verify(second.app, b, code), 401, 'invalid_mfa_code');
  });

  it('a recovery code spent on one instance is refused on the other', async () => {
    const user = await enrolledUser(t);
    const code = user.recoveryCodes[3]!;
    expect((await verify(second.app, await passwordStep(second.app, user.email), code)).status).toBe(200);
    expectProblem(await verify(t.app, await passwordStep(t.app, user.email), code), 401, 'invalid_mfa_code');
  });

  it(`at the same moment (${TEST_DIALECT}): of concurrent attempts with one code, exactly one succeeds`, async () => {
    const user = await enrolledUser(t);
    for (let round = 0; round < 3; round += 1) {
      const code = currentCode(user.secret, t.clock);
      const tokens = await Promise.all([t.app, second.app, t.app, second.app].map((app) => passwordStep(app, user.email)));
      const results = await Promise.all(tokens.map((token, i) => verify(i % 2 === 0 ? t.app : second.app, token, code)));
      const statuses = results.map((res) => res.status).sort();
      expect(statuses, JSON.stringify(results.map((res) => res.body))).toEqual([200, 401, 401, 401]);
      for (const res of results.filter((r) => r.status === 401)) expect(res.body.code).toBe('invalid_mfa_code');
      t.clock.advance(STEP_MS);
    }
  });

  it('the same recovery code at the same moment: exactly one succeeds', async () => {
    const user = await enrolledUser(t);
    const code = user.recoveryCodes[0]!;
    const tokens = await Promise.all([t.app, second.app].map((app) => passwordStep(app, user.email)));
    const results = await Promise.all([verify(t.app, tokens[0]!, code), verify(second.app, tokens[1]!, code)]);
    expect(results.map((res) => res.status).sort()).toEqual([200, 401]);
  });

  it('one mfaToken with two valid codes at once: exactly one session', async () => {
    const user = await enrolledUser(t);
    const token = await passwordStep(t.app, user.email);
    const results = await Promise.all([
      verify(t.app, token, currentCode(user.secret, t.clock)),
      verify(second.app, token, user.recoveryCodes[1]!),
    ]);
    const ok = results.filter((res) => res.status === 200);
    expect(ok).toHaveLength(1);
    for (const res of results.filter((r) => r.status !== 200)) expect(['invalid_token', 'invalid_mfa_code']).toContain(res.body.code);
  });
});
