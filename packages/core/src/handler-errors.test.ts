import { describe, expect, it } from 'vitest';
import type * as handlerErrors from './handler-errors.js';
import { RateLimitedError, SnoozeError, snoozeOf } from './handler-errors.js';

describe('SnoozeError and RateLimitedError', () => {
  it('carry their delay in ms, from a duration or a number', () => {
    expect(new SnoozeError('30s').snoozeMs).toBe(30_000);
    expect(new SnoozeError(250).message).toBe('snoozed for 250 ms');
    const limited = new RateLimitedError('1m', 'slow down');
    expect([limited.name, limited.snoozeMs, limited.retryAfterMs, limited.message]).toEqual([
      'RateLimitedError',
      60_000,
      60_000,
      'slow down',
    ]);
    expect(new RateLimitedError(5).message).toBe('rate limited; retrying after 5 ms');
    expect(limited).toBeInstanceOf(SnoozeError);
  });

  it('refuse a delay that is not a duration or past 10 years, naming it', () => {
    expect(() => new SnoozeError('soon')).toThrow(
      new RangeError('snooze: invalid duration "soon": expected e.g. "500ms", "30s", "1h30m"'),
    );
    expect(() => new RateLimitedError(-1)).toThrow(RangeError);
    expect(() => new SnoozeError('87601h')).toThrow(
      'snooze must be at most 87600h (10 years); got 315363600000ms',
    );
    expect(() => new SnoozeError({} as never)).toThrow(TypeError);
  });
});

describe('snoozeOf', () => {
  it('gives the delay of a snooze, also one made by another copy of the module', async () => {
    expect(snoozeOf(new SnoozeError('2s'))).toBe(2000);
    expect(snoozeOf(new RateLimitedError(7))).toBe(7);
    const url = new URL('./handler-errors.ts', import.meta.url);
    const other = (await import(`${url.href}?copy=1`)) as typeof handlerErrors;
    expect(other.SnoozeError).not.toBe(SnoozeError);
    expect(snoozeOf(new other.RateLimitedError('3s'))).toBe(3000);
  });

  it('is undefined for anything else', () => {
    expect(snoozeOf(new Error('snoozed for 1 ms'))).toBe(undefined);
    expect(snoozeOf(Object.assign(new Error('x'), { name: 'SnoozeError', snoozeMs: 5 }))).toBe(
      undefined,
    );
    expect(snoozeOf({ snoozeMs: 5 })).toBe(undefined);
    expect(snoozeOf(null)).toBe(undefined);
    expect(snoozeOf('SnoozeError')).toBe(undefined);
  });
});
