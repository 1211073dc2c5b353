import { describe, expect, it } from 'vitest';
import type * as handlerErrors from './handler-errors.js';
import {
  RateLimitedError,
  RetryableError,
  retryAfterOf,
  retryRefused,
  SnoozeError,
  snoozeOf,
} from './handler-errors.js';

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

describe('RetryableError, retryAfterOf and retryRefused', () => {
  it('reads the wait before the next attempt of a RetryableError or any error with retryAfter', () => {
    const error = new RetryableError('busy', { retryAfter: '10s' });
    expect([error.name, error.message, error.retryAfter, error.retry]).toEqual([
      'RetryableError',
      'busy',
      10_000,
      true,
    ]);
    expect(retryAfterOf(error)).toBe(10_000);
    expect(retryAfterOf(Object.assign(new Error('x'), { retryAfter: 2500 }))).toBe(2500);
    expect(retryAfterOf(Object.assign(new Error('x'), { retryAfter: '1m' }))).toBe(60_000);
    expect(retryAfterOf(new RetryableError('no wait'))).toBe(undefined);
  });

  it('ignores a retryAfter that is not a duration within 10 years', () => {
    for (const retryAfter of ['soon', -1, Number.NaN, 1e300, '87601h', null, {}, true]) {
      expect(retryAfterOf(Object.assign(new Error('x'), { retryAfter }))).toBe(undefined);
    }
    expect(retryAfterOf('retryAfter')).toBe(undefined);
    expect(retryAfterOf(null)).toBe(undefined);
  });

  it('refuses a bad retryAfter in the constructor, naming it', () => {
    expect(() => new RetryableError('x', { retryAfter: 'soon' })).toThrow(
      new RangeError('retryAfter: invalid duration "soon": expected e.g. "500ms", "30s", "1h30m"'),
    );
    expect(() => new RetryableError('x', { retryAfter: '87601h' })).toThrow(
      'retryAfter must be at most 87600h (10 years); got 315363600000ms',
    );
  });

  it('tells an error that must not be retried by its retry: false', () => {
    expect(retryRefused(new RetryableError('x', { retry: false }))).toBe(true);
    expect(retryRefused(Object.assign(new Error('x'), { retry: false }))).toBe(true);
    expect(retryRefused(new RetryableError('x'))).toBe(false);
    expect(retryRefused(Object.assign(new Error('x'), { retry: 0 }))).toBe(false);
    expect(retryRefused(new Error('x'))).toBe(false);
    expect(retryRefused(undefined)).toBe(false);
  });
});
