import { ManualClock } from '@gopherqueue/core/testing';
import { describe, expect, it } from 'vitest';
import { RunAtTimer } from './run-at-timer.js';

describe('RunAtTimer', () => {
  it('fires once at each remembered run-at, earliest first, whatever order they came in', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const timer = new RunAtTimer(
      clock,
      () => fired.push(clock.now()),
      () => undefined,
    );
    const t0 = clock.now();
    for (const at of [t0 + 300, t0 + 100, t0 + 200, t0 + 100]) timer.add(at);
    clock.advance(100);
    clock.advance(100);
    clock.advance(50);
    expect(fired).toEqual([t0 + 100, t0 + 200]);
    clock.advance(100);
    expect(fired).toEqual([t0 + 100, t0 + 200, t0 + 350]);
    clock.advance(1000);
    expect(fired).toHaveLength(3);
  });

  it('forgets every run-at past 10,000 remembered and says so', () => {
    const clock = new ManualClock();
    let fired = 0;
    let overflows = 0;
    const timer = new RunAtTimer(
      clock,
      () => fired++,
      () => overflows++,
    );
    for (let i = 1; i <= 10_001; i++) timer.add(clock.now() + i);
    expect(overflows).toBe(1);
    clock.advance(20_000);
    expect(fired).toBe(1);
  });

  it('cancels its timer on clear', () => {
    const clock = new ManualClock();
    let fired = 0;
    const timer = new RunAtTimer(
      clock,
      () => fired++,
      () => undefined,
    );
    timer.add(clock.now() + 10);
    timer.clear();
    clock.advance(100);
    expect(fired).toBe(0);
  });
});
