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

  it('does not fire cancelled items and re-arms for the next one', () => {
    const clock = new CountingClock();
    const fired: string[] = [];
    const queue = new DeadlineQueue<string>(clock, (item) => fired.push(item));
    const x = queue.add('x', 100);
    clock.inner.advance(50);
    queue.add('y', 100);
    queue.cancel(x);
    clock.inner.advance(50);
    expect(fired).toEqual([]);
    clock.inner.advance(50);
    expect(fired).toEqual(['y']);
  });

  it('fires an item added again from its own callback, and forgets everything on clear', () => {
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

  it('ignores a cancel after the item fired, a second cancel, and no deadline at all', () => {
    const clock = new CountingClock();
    const fired: string[] = [];
    const queue = new DeadlineQueue<string>(clock, (item) => fired.push(item));
    const a = queue.add('a', 10);
    const b = queue.add('b', 20);
    clock.inner.advance(10);
    expect(fired).toEqual(['a']);
    queue.cancel(a);
    queue.cancel(b);
    queue.cancel(b);
    queue.cancel(undefined);
    expect(queue.size).toBe(0);
    const c = queue.add('c', 20);
    expect(queue.size).toBe(1);
    expect(c.at).toBe(30);
    clock.inner.advance(20);
    expect(fired).toEqual(['a', 'c']);
  });

  it('skips an item cancelled by the callback of an item due at the same time', () => {
    const clock = new CountingClock();
    const fired: string[] = [];
    const handles = new Map<string, ReturnType<DeadlineQueue<string>['add']>>();
    const queue = new DeadlineQueue<string>(clock, (item) => {
      fired.push(item);
      if (item === 'a') queue.cancel(handles.get('b'));
    });
    for (const item of ['a', 'b', 'c']) handles.set(item, queue.add(item, 5));
    clock.inner.advance(5);
    expect(fired).toEqual(['a', 'c']);
    expect(queue.size).toBe(0);
    expect(queue.held).toBe(0);
  });

  it('keeps cancelled entries bounded when the head stays live, and fires the rest in order', () => {
    const clock = new CountingClock();
    const fired: number[] = [];
    const queue = new DeadlineQueue<number>(clock, (item) => fired.push(item));
    const handles = Array.from({ length: 1_000 }, (_, i) => {
      clock.inner.advance(1);
      return queue.add(i, 10_000);
    });
    let maxHeld = 0;
    // Cancel all but the first (the head, due first) and every 100th, from the back.
    for (let i = 999; i >= 1; i--) {
      if (i % 100 === 0) continue;
      queue.cancel(handles[i]);
      maxHeld = Math.max(maxHeld, queue.held);
    }
    expect(queue.size).toBe(10);
    // Compaction leaves at most 64 gone entries beside the live ones, or fewer gone than live.
    expect(queue.held).toBeLessThanOrEqual(10 + 64);
    expect(maxHeld).toBe(1_000);
    clock.inner.advance(10_000);
    expect(fired).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(queue.held).toBe(0);
  });

  it('holds no more than 65 entries of one lane when each item is cancelled right after it was added', () => {
    const clock = new CountingClock();
    const queue = new DeadlineQueue<number>(clock, () => undefined);
    let maxHeld = 0;
    for (let i = 0; i < 10_000; i++) {
      const due = queue.add(i, 30_000);
      maxHeld = Math.max(maxHeld, queue.held);
      queue.cancel(due);
    }
    expect(queue.size).toBe(0);
    expect(maxHeld).toBe(65);
    expect(clock.pending).toBe(1);
  });
});
