import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads Go-style durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m3s4ms')).toBe(123_004);
  });
  it('gives whole milliseconds, rounding a fraction up', () => {
    expect(parseDuration('1.5ms')).toBe(2);
    expect(parseDuration('2500us')).toBe(3);
    expect(parseDuration('1ns')).toBe(1);
    expect(parseDuration(0.5)).toBe(1);
    expect(parseDuration('100.7')).toBe(101);
    expect(parseDuration(0)).toBe(0);
  });
  it('reads numbers and numeric strings as milliseconds', () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('250')).toBe(250);
  });
  it('rejects garbage and negatives with a RangeError that shows an example', () => {
    expect(() => parseDuration('5 minutes')).toThrow(
      /invalid duration "5 minutes": expected e.g. "500ms"/,
    );
    expect(() => parseDuration('-1s')).toThrow(RangeError);
    expect(() => parseDuration(-5)).toThrow(RangeError);
    expect(() => parseDuration('')).toThrow(RangeError);
  });
  it('rejects a string too long to be a number instead of answering Infinity', () => {
    const huge = `1${'0'.repeat(400)}`;
    expect(() => parseDuration(`${huge}h`)).toThrow(/is too long to be a number/);
    expect(() => parseDuration(huge)).toThrow(RangeError);
    expect(() => parseDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('formatDuration', () => {
  it('writes Go-style durations', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(3_600_000)).toBe('1h0m');
    expect(formatDuration(0)).toBe('0s');
  });
});
