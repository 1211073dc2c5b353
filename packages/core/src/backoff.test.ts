import { describe, expect, it } from 'vitest';
import { backoffDelay, resolveBackoff } from './backoff.js';

describe('backoffDelay', () => {
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
  it('keeps jittered waits between half and the full wait', () => {
    const b = resolveBackoff({ initialMs: 1000 });
    expect(backoffDelay(b, 1, () => 0)).toBe(500);
    expect(backoffDelay(b, 1, () => 0.999999)).toBe(1000);
  });
});
