import { describe, expect, it } from 'vitest';
import { createMemoryRevocationIndex } from '../../src/lib/revocation-index.ts';
import { fakeClock } from '../helpers/clock.ts';

describe('memory revocation index', () => {
  it('answers for revoked sessions and tokens, and forgets them once they expire', () => {
    const clock = fakeClock();
    const index = createMemoryRevocationIndex(clock);
    expect(index.isRevoked('s1', 'j1')).toBe(false);
    index.apply([
      { id: 's1', kind: 'sid', createdAt: clock.now(), expiresAt: clock.now() + 10_000 },
      { id: 'j2', kind: 'jti', createdAt: clock.now(), expiresAt: clock.now() + 20_000 },
    ]);
    expect(index.isRevoked('s1', 'other')).toBe(true);
    expect(index.isRevoked('other', 'j2')).toBe(true);
    expect(index.isRevoked('j2', 's1')).toBe(false);
    expect(index.size()).toBe(2);

    clock.advance(15_000);
    index.apply([]);
    expect(index.size()).toBe(1);
    expect(index.isRevoked('s1', 'x')).toBe(false);
    clock.advance(10_000);
    index.apply([]);
    expect(index.size()).toBe(0);
  });

  it('ignores revocations that have already expired and keeps the later expiry of duplicates', () => {
    const clock = fakeClock();
    const index = createMemoryRevocationIndex(clock);
    index.apply([{ id: 'old', kind: 'sid', createdAt: 0, expiresAt: clock.now() - 1 }]);
    expect(index.size()).toBe(0);
    index.apply([{ id: 's', kind: 'sid', createdAt: 0, expiresAt: clock.now() + 5000 }]);
    index.apply([{ id: 's', kind: 'sid', createdAt: 0, expiresAt: clock.now() + 1000 }]);
    clock.advance(2000);
    index.apply([]);
    expect(index.isRevoked('s', 'x')).toBe(true);
  });
});
