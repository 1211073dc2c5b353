import { describe, expect, it } from 'vitest';
import {
  formatRate,
  nextRateStartAt,
  parseRate,
  rateFreedAt,
  readRateLog,
  rateRemaining,
  rateSlotMs,
  rateSlotOf,
  recordStarts,
} from './queue-settings.js';

describe('parseRate', () => {
  it('reads N/DURATION, a bare unit meaning one of it', () => {
    expect(parseRate('100/1s')).toEqual({ limit: 100, periodMs: 1000 });
    expect(parseRate('1000/1m')).toEqual({ limit: 1000, periodMs: 60_000 });
    expect(parseRate(' 5 / 250ms ')).toEqual({ limit: 5, periodMs: 250 });
    expect(parseRate('10/s')).toEqual({ limit: 10, periodMs: 1000 });
    expect(parseRate('1000000/1h')).toEqual({ limit: 1_000_000, periodMs: 3_600_000 });
    // Durations are whole milliseconds: a fraction rounds up.
    expect(parseRate('10/0.5ms')).toEqual({ limit: 10, periodMs: 1 });
  });

  it('refuses anything else, naming the field', () => {
    for (const text of [
      '0/1s',
      '-1/1s',
      '1000001/1s',
      '10/0s',
      '10/2h',
      '10',
      'ten/1s',
      '10/1x',
      '',
    ]) {
      expect(() => parseRate(text), text).toThrow(
        expect.objectContaining({ code: 'GQ_INVALID_ARGUMENT', details: { field: 'rate' } }),
      );
    }
  });

  it('writes what it reads', () => {
    for (const text of ['100/1s', '1000/1m', '5/250ms', '7/1h0m', '3/1m30s']) {
      expect(formatRate(parseRate(text))).toBe(text);
    }
  });
});

describe('the rate window', () => {
  it('counts starts in (now - period, now] and names when the next one is free', () => {
    const rate = { limit: 3, periodMs: 1000 };
    let log = recordStarts([], 10_000, 2, 1000);
    log = recordStarts(log, 10_400, 1, 1000);
    expect(rateRemaining(log, 10_400, rate)).toBe(0);
    expect(nextRateStartAt(log, 10_400, rate)).toBe(11_000);
    expect(rateRemaining(log, 10_999, rate)).toBe(0);
    expect(rateRemaining(log, 11_000, rate)).toBe(2);
    expect(nextRateStartAt(log, 11_000, rate)).toBeUndefined();
    // Past entries are dropped as the window moves.
    expect(recordStarts(log, 11_400, 1, 1000)).toEqual([[11_400, 1]]);
  });

  it("splits the log at now's slot, merging starts of the same slot", () => {
    // A 10 s period has 10 ms slots: starts at 10_001 and 10_004 end the slot at 10_010.
    const log = recordStarts([[9_000, 4]], 10_001, 2, 10_000);
    expect(log).toEqual([
      [9_000, 4],
      [10_010, 2],
    ]);
    expect(rateSlotOf(log, 10_004, 10_000)).toEqual({ base: [[9_000, 4]], at: 10_010, held: 2 });
    expect(rateSlotOf(log, 10_011, 10_000)).toEqual({ base: log, at: 10_020, held: 0 });
    // Entries that left the window are not in the base.
    expect(rateSlotOf(log, 19_000, 10_000)).toEqual({ base: [[10_010, 2]], at: 19_000, held: 0 });
    expect(recordStarts(log, 10_004, 3, 10_000)).toEqual([
      [9_000, 4],
      [10_010, 5],
    ]);
  });

  it('names the moment the window last freed a start', () => {
    const log = recordStarts(recordStarts([], 10_000, 2, 1000), 10_400, 1, 1000);
    expect(rateFreedAt(log, 10_999, 1000)).toBeUndefined();
    expect(rateFreedAt(log, 11_000, 1000)).toBe(11_000);
    expect(rateFreedAt(log, 11_399, 1000)).toBe(11_000);
    expect(rateFreedAt(log, 11_400, 1000)).toBe(11_400);
    expect(rateFreedAt(log, 99_000, 1000)).toBe(11_400);
    expect(rateFreedAt([], 99_000, 1000)).toBeUndefined();
  });

  it('remembers starts at the end of their slot for long periods: stricter, never looser', () => {
    expect(rateSlotMs(1000)).toBe(1);
    expect(rateSlotMs(3_600_000)).toBe(3600);
    const log = recordStarts([], 1_000, 5, 3_600_000);
    expect(log).toEqual([[3600, 5]]);
    const rate = { limit: 5, periodMs: 3_600_000 };
    expect(rateRemaining(log, 1_000 + 3_600_000, rate)).toBe(0);
    expect(rateRemaining(log, 3600 + 3_600_000, rate)).toBe(5);
  });

  it('waits for enough starts to leave when the limit was lowered below the starts held', () => {
    let log = recordStarts([], 0, 4, 1000);
    log = recordStarts(log, 500, 4, 1000);
    expect(nextRateStartAt(log, 600, { limit: 3, periodMs: 1000 })).toBe(1500);
  });
});

describe('readRateLog', () => {
  it('keeps the [time, count] pairs of a stored value, in time order, and nothing else', () => {
    expect(readRateLog('x')).toEqual([]);
    expect(readRateLog(null)).toEqual([]);
    expect(readRateLog({ 0: [1, 2] })).toEqual([]);
    expect(readRateLog([[1, 2], null, [3], [4, 'n'], [5, 6, 7], [Number.NaN, 1]])).toEqual([
      [1, 2],
    ]);
    expect(
      readRateLog([
        [9, 1],
        [3, 2],
        [5, 1],
      ]),
    ).toEqual([
      [3, 2],
      [5, 1],
      [9, 1],
    ]);
  });
});
