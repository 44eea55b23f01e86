import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createMfaKeys } from '../../src/mfa/mfa-keys.ts';
import { canonicalRecoveryCode } from '../../src/mfa/recovery-codes.ts';
import { sha256 } from '../../src/lib/hash.ts';
import { createTestApp, PASSWORD, type TestApp } from '../helpers/test-app.ts';
import { currentCode, enrolledUser, verify } from './mfa-helpers.ts';

/** What the database and the log hold after a whole MFA flow. */
describe.each([
  ['ES256 (KEY_ENCRYPTION_SECRET)', {}],
  [
    'HS256 (no KEY_ENCRYPTION_SECRET: a key derived from JWT_REFRESH_SECRET)',
    { JWT_SECRET: 'an HMAC secret of at least thirty-two bytes!' },
  ],
])('MFA data at rest, %s', (_label, env: Record<string, string>) => {
  let t: TestApp;
  afterEach(() => t.close());

  it('stores the TOTP secret sealed (not base32), recovery codes and the mfaToken only as hashes, and logs none of them', async () => {
    t = await createTestApp({ LOG_LEVEL: 'debug', ...env });
    const user = await enrolledUser(t);
    const first = await request(t.app).post('/api/auth/login').send({ email: user.email, password: PASSWORD });
    const mfaToken = first.body.mfaToken as string;
    expect((await verify(t.app, mfaToken, currentCode(user.secret, t.clock))).status).toBe(200);

    const db = t.runtime.database.db;
    const totp = await db.selectFrom('mfaTotp').selectAll().where('userId', '=', user.userId).executeTakeFirstOrThrow();
    expect(totp.secret).not.toBe(user.secret);
    expect(totp.secret).not.toContain(user.secret);
    expect(totp.secret).not.toMatch(/^[A-Z2-7]+=*$/);
    expect(totp.secret.split('.')).toHaveLength(3); // iv.tag.ciphertext
    // Sealed under the key the documentation names, for this user only.
    const root = t.config.jwt.keyEncryptionSecret ?? t.config.jwt.refreshSecret;
    if ('JWT_SECRET' in env) expect(t.config.jwt.keyEncryptionSecret).toBeUndefined();
    expect(createMfaKeys(root).openSecret(user.userId, totp.secret)).toBe(user.secret);
    expect(() => createMfaKeys(root).openSecret('someone-else', totp.secret)).toThrow();

    const codes = await db.selectFrom('mfaRecoveryCodes').selectAll().where('userId', '=', user.userId).execute();
    expect(codes).toHaveLength(10);
    const stored = JSON.stringify(codes);
    for (const code of user.recoveryCodes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(canonicalRecoveryCode(code));
      expect(stored).not.toContain(sha256(canonicalRecoveryCode(code)!)); // keyed, not a bare hash
    }
    expect(codes.map((c) => c.codeHash)).toContain(createMfaKeys(root).recoveryHash(canonicalRecoveryCode(user.recoveryCodes[0]!)!));

    const challenges = await db.selectFrom('mfaChallenges').selectAll().execute();
    expect(challenges.map((c) => c.tokenHash)).toEqual([sha256(mfaToken)]);
    expect(JSON.stringify(challenges)).not.toContain(mfaToken);
    expect(challenges[0]!.usedAt).not.toBeNull();

    const sessions = await db.selectFrom('sessions').select('amr').where('userId', '=', user.userId).execute();
    expect(sessions.map((s) => JSON.parse(s.amr) as string[]).sort()).toEqual([['pwd'], ['pwd', 'otp']]);

    const log = t.logs.join('\n');
    expect(t.logs.length).toBeGreaterThan(0);
    for (const secret of [user.secret, mfaToken, ...user.recoveryCodes]) expect(log).not.toContain(secret);
    // close() (afterEach) also scans the log for anything shaped like a TOTP secret or a recovery code.
  });
});
