import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/users/password.ts';

describe('passwords', () => {
  it('hashes with argon2id at OWASP parameters and verifies', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, 'correct horse battery')).toEqual({ ok: true, needsRehash: false });
    expect((await verifyPassword(hash, 'correct horse batterY')).ok).toBe(false);
  });

  it('verifies legacy bcrypt hashes and asks for a re-hash', async () => {
    const legacy = await bcrypt.hash('tutorial password', 4);
    expect(await verifyPassword(legacy, 'tutorial password')).toEqual({ ok: true, needsRehash: true });
    expect((await verifyPassword(legacy, 'tutorial passworD')).ok).toBe(false);
  });

  it('refuses a bcrypt match that only holds because bcrypt truncates at 72 bytes', async () => {
    const base = 'a'.repeat(72);
    const legacy = await bcrypt.hash(`${base}X`, 4);
    expect((await verifyPassword(legacy, `${base}Y`)).ok).toBe(false);
  });

  it('treats a malformed stored hash as a failed check, not an error', async () => {
    expect(await verifyPassword('not a hash', 'whatever1')).toEqual({ ok: false, needsRehash: false });
  });
});
