import { describe, expect, it } from 'vitest';
import { appendTransition, MAX_TRANSITIONS, type JobTransition } from './job.js';

const entry = (n: number): JobTransition => ({ state: 'running', at: n, attempt: n });

describe('appendTransition', () => {
  it('starts a list for a job stored before transitions were recorded', () => {
    expect(appendTransition(undefined, entry(1))).toEqual([entry(1)]);
  });

  it('appends to a copy, leaving the given list as it was', () => {
    const list = [entry(0)];
    const next = appendTransition(list, entry(1));
    expect(next).toEqual([entry(0), entry(1)]);
    expect(list).toEqual([entry(0)]);
  });

  it(`keeps the first and the latest ${MAX_TRANSITIONS - 1} once ${MAX_TRANSITIONS} are held`, () => {
    const full = Array.from({ length: MAX_TRANSITIONS }, (_, i) => entry(i));
    const next = appendTransition(full, entry(MAX_TRANSITIONS));
    expect(next).toHaveLength(MAX_TRANSITIONS);
    expect(next.map((t) => t.at)).toEqual([0, ...Array.from({ length: 49 }, (_, i) => i + 2)]);
  });

  it('cuts an over-long list (an import of another build) to the bound', () => {
    const long = Array.from({ length: 80 }, (_, i) => entry(i));
    const next = appendTransition(long, entry(80));
    expect(next.map((t) => t.at)).toEqual([0, ...Array.from({ length: 49 }, (_, i) => i + 32)]);
  });
});
