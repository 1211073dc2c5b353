import { describe, expect, it } from 'vitest';
import { isUuid, uuidv7 } from './uuid.js';

/** The milliseconds an id's first 48 bits hold. */
const msOf = (id: string): number => Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('uuidv7', () => {
  it('writes the time, the version and the variant of RFC 9562 in canonical form', () => {
    const now = Date.UTC(2026, 11, 1, 1, 2, 3, 456);
    const id = uuidv7(now + 10_000_000);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isUuid(id)).toBe(true);
    expect(msOf(id)).toBe(now + 10_000_000);
  });

  it('sorts ids by creation, within a millisecond and past the counter of one', () => {
    const at = Date.UTC(2027, 0, 1);
    // 5,000 ids in one millisecond: the 12-bit counter runs out and the next millisecond is used.
    const ids = Array.from({ length: 5_000 }, () => uuidv7(at));
    ids.push(uuidv7(at + 5), uuidv7(at + 5));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(msOf(ids[0] ?? '')).toBe(at);
    expect(msOf(ids[4_095] ?? '')).toBe(at);
    expect(msOf(ids[4_096] ?? '')).toBe(at + 1);
    expect(msOf(ids[5_000] ?? '')).toBe(at + 5);
    // Random bits differ between ids made in one millisecond (their pool is refilled every 256).
    const tails = new Set(ids.slice(0, 600).map((id) => id.slice(19)));
    expect(tails.size).toBe(600);
  });

  it('never goes back when the clock does', () => {
    const at = Date.UTC(2028, 0, 1);
    const first = uuidv7(at);
    const later = uuidv7(at - 60_000);
    expect(later > first).toBe(true);
    expect(msOf(later)).toBe(at);
  });
});
