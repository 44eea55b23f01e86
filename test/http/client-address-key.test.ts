import fc from 'fast-check';
import { ipKeyGenerator } from 'express-rate-limit';
import { describe, expect, it } from 'vitest';
import { clientAddressKey } from '../../src/http/rate-limit.ts';

describe('clientAddressKey', () => {
  it('gives the keys ipKeyGenerator gives, for IPv4, IPv4-mapped and IPv6 addresses', () => {
    const mapped = fc.ipV4().map((v4) => `::ffff:${v4}`);
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), mapped, fc.ipV6()), (ip) => {
        expect(clientAddressKey(ip)).toBe(ipKeyGenerator(ip));
      }),
      { numRuns: 2000 },
    );
  });

  it('one IPv4 client is one key whether the listener saw it mapped or not; an IPv6 host shares its /56', () => {
    expect(clientAddressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientAddressKey('::ffff:203.0.113.9')).not.toBe(clientAddressKey('::ffff:203.0.113.10'));
    expect(clientAddressKey('2001:db8:0:1::1')).toBe(clientAddressKey('2001:db8:0:ff::2'));
    expect(clientAddressKey(undefined)).toBe('unknown');
  });
});
