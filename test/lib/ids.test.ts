import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId (UUIDv7)', () => {
  it('is a UUIDv7 whose first 48 bits are the time, and every id differs (across several refills of the random pool)', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => newId(1_700_000_000_000 + i));
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]!.replace(/-/g, '').slice(0, 12)).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
    // Ordered by creation time, so an index on the id is a chronological cursor.
    expect([...ids].sort()).toEqual(ids);
  });

  it('the random part is not constant: its 74 bits vary from id to id', () => {
    const randomParts = Array.from({ length: 300 }, () => newId(0).replace(/-/g, '').slice(13));
    expect(new Set(randomParts).size).toBe(300);
    const firstChars = new Set(randomParts.map((part) => part[0]));
    expect(firstChars.size).toBeGreaterThan(4);
  });
});
