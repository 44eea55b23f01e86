import { HOTP, Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { createMfaKeys } from '../../src/mfa/mfa-keys.ts';
import { canonicalRecoveryCode, newRecoveryCode, newRecoveryCodes } from '../../src/mfa/recovery-codes.ts';
import { matchingSteps, newTotpSecret, otpauthUrl, stepAt } from '../../src/mfa/totp.ts';
import { codeAt } from './mfa-helpers.ts';

describe('RFC 6238 Appendix B test vectors (SHA-1, 8 digits, 30 s) through otpauth', () => {
  // The RFC's SHA-1 seed is the ASCII string "12345678901234567890".
  const totp = new TOTP({ secret: Secret.fromUTF8('12345678901234567890'), algorithm: 'SHA1', digits: 8, period: 30 });
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('T = %i s → %s', (seconds, expected) => {
    expect(totp.generate({ timestamp: seconds * 1000 })).toBe(expected);
    // The counter the server uses for the same instant is the RFC's T.
    expect(HOTP.generate({ secret: Secret.fromUTF8('12345678901234567890'), digits: 8, counter: stepAt(seconds * 1000) })).toBe(expected);
  });
});

describe('the server’s TOTP check', () => {
  const secret = newTotpSecret();
  const now = Date.UTC(2026, 0, 1, 12, 0, 15);

  it('makes 160-bit base32 secrets and a standard otpauth URL', () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(otpauthUrl(secret, 'Tessera', 'ada@example.com'));
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Tessera:ada@example.com');
    expect(Object.fromEntries(url.searchParams)).toEqual({ issuer: 'Tessera', secret, algorithm: 'SHA1', digits: '6', period: '30' });
  });

  it('accepts the code of the previous, current and next step (±1), and nothing further', () => {
    const step = stepAt(now);
    expect(matchingSteps(secret, codeAt(secret, now), now)).toEqual([step]);
    expect(matchingSteps(secret, codeAt(secret, now - 30_000), now)).toEqual([step - 1]);
    expect(matchingSteps(secret, codeAt(secret, now + 30_000), now)).toEqual([step + 1]);
    expect(matchingSteps(secret, codeAt(secret, now - 60_000), now)).toEqual([]);
    expect(matchingSteps(secret, codeAt(secret, now + 60_000), now)).toEqual([]);
  });

  it('refuses anything that is not six digits, and another secret’s code', () => {
    const code = codeAt(secret, now);
    for (const bad of ['', `${code}0`, code.slice(1), ` ${code}`, 'abcdef', '12345e']) expect(matchingSteps(secret, bad, now)).toEqual([]);
    const other = newTotpSecret();
    const otherCode = codeAt(other, now);
    if (![-1, 0, 1].some((d) => codeAt(secret, now + d * 30_000) === otherCode)) expect(matchingSteps(secret, otherCode, now)).toEqual([]);
  });
});

describe('recovery codes', () => {
  it('are ten distinct XXXXX-XXXXX codes of Crockford base32 (50 bits each)', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
  });

  it('are read whatever the case, spaces and dashes, with I/L as 1 and O as 0', () => {
    const code = newRecoveryCode();
    const canonical = code.replace('-', '');
    expect(canonicalRecoveryCode(code)).toBe(canonical);
    expect(canonicalRecoveryCode(code.toLowerCase())).toBe(canonical);
    expect(canonicalRecoveryCode(` ${code.slice(0, 3)} ${code.slice(3)} `)).toBe(canonical);
    expect(canonicalRecoveryCode('0123I-L5O78')).toBe('0123115078');
    for (const bad of ['', 'ABCDE', 'ABCDE-FGHJKM', 'ABCDE-FGHJU', '123456', "' OR 1=1 --"])
      expect(canonicalRecoveryCode(bad)).toBeUndefined();
  });
});

describe('MFA keys', () => {
  const keys = createMfaKeys(Buffer.from('a server secret of at least thirty-two bytes'));

  it('seals a TOTP secret for one user: another user id, key or a changed byte does not open it', () => {
    const secret = newTotpSecret();
    const sealed = keys.sealSecret('user-1', secret);
    expect(sealed).not.toContain(secret);
    expect(keys.sealSecret('user-1', secret)).not.toBe(sealed); // a fresh IV each time
    expect(keys.openSecret('user-1', sealed)).toBe(secret);
    expect(() => keys.openSecret('user-2', sealed)).toThrow();
    expect(() => createMfaKeys(Buffer.from('another secret of at least thirty-two bytes')).openSecret('user-1', sealed)).toThrow();
    const [iv, tag, body] = sealed.split('.');
    const flipped = `${iv}.${tag}.${body!.startsWith('A') ? 'B' : 'A'}${body!.slice(1)}`;
    expect(() => keys.openSecret('user-1', flipped)).toThrow();
  });

  it('hashes recovery codes with a keyed HMAC: same code, same hash; another key, another hash', () => {
    const canonical = newRecoveryCode().replace('-', '');
    expect(keys.recoveryHash(canonical)).toBe(keys.recoveryHash(canonical));
    expect(keys.recoveryHash(canonical)).not.toContain(canonical);
    expect(createMfaKeys(Buffer.from('another secret of at least thirty-two bytes')).recoveryHash(canonical)).not.toBe(
      keys.recoveryHash(canonical),
    );
  });
});
