import { describe, expect, it } from 'vitest';
import { backoffDelay, resolveBackoff } from './backoff.js';
import { MAX_BACKOFF_MS } from './limits.js';

describe('backoffDelay', () => {
  it('waits as the default backoff for a stored one it would refuse', () => {
    const half = () => 0.5;
    // The default: exponential from 1 s, doubling, with jitter (half of it pinned here).
    const expected = [750, 1500, 3000];
    for (const odd of [null, 'fast', { strategy: 'sideways' }, { initialMs: -1 }, { maxMs: 'x' }]) {
      expect([1, 2, 3].map((n) => backoffDelay(odd as never, n, half))).toEqual(expected);
    }
    expect(backoffDelay(null as never, Number.NaN, half)).toBe(750);
  });

  const noJitter = { jitter: false } as const;
  it('doubles for exponential and caps at maxMs', () => {
    const b = resolveBackoff({ ...noJitter, initial: '1s', max: '5s' });
    expect([1, 2, 3, 4].map((n) => backoffDelay(b, n))).toEqual([1000, 2000, 4000, 5000]);
  });
  it('grows by the initial step for linear and stays flat for constant', () => {
    const linear = resolveBackoff({ ...noJitter, strategy: 'linear', initialMs: 100 });
    const constant = resolveBackoff({ ...noJitter, strategy: 'constant', initialMs: 100 });
    expect([1, 2, 3].map((n) => backoffDelay(linear, n))).toEqual([100, 200, 300]);
    expect([1, 2, 3].map((n) => backoffDelay(constant, n))).toEqual([100, 100, 100]);
  });
  it('stays a number when growth overflows: maxMs, or 0 from an initial wait of 0', () => {
    const huge = resolveBackoff({ ...noJitter, initial: '1s', max: '1h', multiplier: 1e300 });
    expect(backoffDelay(huge, 3)).toBe(3_600_000);
    const zero = resolveBackoff({ ...noJitter, initialMs: 0, multiplier: 1e300 });
    expect(backoffDelay(zero, 3)).toBe(0);
  });
  it('refuses an initial or max wait past 10 years, naming the field', () => {
    expect(() => resolveBackoff({ initial: '87601h', max: '87601h' })).toThrow(
      /^backoff.initial must be at most 87600h \(10 years\)/,
    );
    expect(() => resolveBackoff({ max: 1e300 })).toThrow(/^backoff.max must be at most 87600h/);
    expect(() => resolveBackoff({ maxMs: MAX_BACKOFF_MS + 1 })).toThrow(
      /^backoff.maxMs must be at most 87600h/,
    );
    expect(resolveBackoff({ initial: '87600h', max: '87600h' })).toMatchObject({
      initialMs: MAX_BACKOFF_MS,
      maxMs: MAX_BACKOFF_MS,
    });
  });
  it('keeps jittered waits between half and the full wait', () => {
    const b = resolveBackoff({ initialMs: 1000 });
    expect(backoffDelay(b, 1, () => 0)).toBe(500);
    expect(backoffDelay(b, 1, () => 0.999999)).toBe(1000);
  });
});
