import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.ts';
import { bearer } from '../helpers/auth-assertions.ts';
import { createTestApp, PASSWORD, type TestApp } from '../helpers/test-app.ts';
import { enrolledUser } from './mfa-helpers.ts';

describe('tessera user mfa-reset', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it("removes a user's MFA from the command line: every session ends, the password alone logs in", async () => {
    const user = await enrolledUser(t);
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: t.config.database.url,
      DATA_DIR: t.config.dataDir,
      // The app's own secrets, so the CLI opens the same keys.
      JWT_REFRESH_SECRET: t.config.jwt.refreshSecret.toString(),
      KEY_ENCRYPTION_SECRET: t.config.jwt.keyEncryptionSecret?.toString() ?? '',
    };
    const out: string[] = [];
    expect(await runCli(['user', 'mfa-reset', '--email', user.email], env, (line) => out.push(line))).toBe(0);
    expect(out.join()).toMatch(/two-factor authentication removed/);
    // The user's notice was written before the command returned (the outbox: no SMTP_URL here).
    const outbox = join(t.config.dataDir, 'outbox');
    const mails = readdirSync(outbox).map((name) => readFileSync(join(outbox, name), 'utf8'));
    expect(mails.filter((mail) => mail.includes('Subject: An administrator removed your two-factor authentication'))).toHaveLength(1);
    await t.runtime.revocations.poll();
    const res = await request(t.app).get('/api/protected').set('Authorization', bearer(user.accessToken));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_revoked');
    const login = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
    expect(login.body.mfaRequired).toBeUndefined();
    expect(login.body.user.mfaEnabled).toBe(false);
    const events = await t.runtime.database.db
      .selectFrom('auditEvents')
      .select(['type', 'details'])
      .where('type', '=', 'mfa.reset')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]?.details).toContain('"via":"cli"');

    expect(
      await runCli(
        ['user', 'mfa-reset', '--email', 'nobody@example.com'],
        env,
        () => {},
        () => {},
      ),
    ).toBe(1);
  });
});
