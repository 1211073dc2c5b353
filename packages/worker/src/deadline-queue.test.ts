import { describe, expect, it } from 'vitest';
import { type Clock } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { DeadlineQueue } from './deadline-queue.js';

/** A ManualClock that counts the timers armed and still pending. */
class CountingClock implements Clock {
  readonly inner = new ManualClock(0);
  armed = 0;
  pending = 0;
  now(): number {
    return this.inner.now();
  }
  setTimer(fn: () => void, ms: number): () => void {
    this.armed++;
    this.pending++;
    let live = true;
    const cancel = this.inner.setTimer(() => {
      live = false;
      this.pending--;
      fn();
    }, ms);
    return () => {
      if (live) this.pending--;
      live = false;
      cancel();
    };
  }
}

describe('DeadlineQueue', () => {
  it('fires each item once at its deadline, across delays, on one timer', () => {
    const clock = new CountingClock();
    const fired: string[] = [];
    const queue = new DeadlineQueue<string>(clock, (item) => fired.push(`${item}@${clock.now()}`));
    for (let i = 0; i < 100; i++) queue.add(`a${i}`, 1_000);
    queue.add('b', 300);
    clock.inner.advance(500);
    queue.add('c', 1_000);
    expect(clock.pending).toBe(1);
    expect(fired).toEqual(['b@500']);
    clock.inner.advance(500);
    expect(fired).toHaveLength(101);
    expect(fired[100]).toBe('a99@1000');
    clock.inner.advance(499);
    expect(fired).toHaveLength(101);
    clock.inner.advance(1);
    expect(fired.slice(101)).toEqual(['c@1500']);
    expect(clock.pending).toBe(0);
    expect(clock.armed).toBeLessThanOrEqual(4);
  });

  it('does not fire deleted items and re-arms for the next one', () => {
    const clock = new CountingClock();
    const fired: string[] = [];
    const queue = new DeadlineQueue<string>(clock, (item) => fired.push(item));
    queue.add('x', 100);
    clock.inner.advance(50);
    queue.add('y', 100);
    queue.delete('x', 100);
    clock.inner.advance(50);
    expect(fired).toEqual([]);
    clock.inner.advance(50);
    expect(fired).toEqual(['y']);
  });

  it('moves an item added again to its new deadline, and forgets everything on clear', () => {
    const clock = new CountingClock();
    const fired: string[] = [];
    const queue = new DeadlineQueue<string>(clock, (item) => {
      fired.push(item);
      if (fired.length < 3) queue.add(item, 10);
    });
    queue.add('beat', 10);
    clock.inner.advance(10);
    clock.inner.advance(10);
    clock.inner.advance(10);
    expect(fired).toEqual(['beat', 'beat', 'beat']);
    queue.add('late', 10);
    queue.clear();
    expect(clock.pending).toBe(0);
    clock.inner.advance(100);
    expect(fired).toHaveLength(3);
  });
});
