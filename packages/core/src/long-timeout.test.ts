import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from './clock.js';
import { MAX_TIMER_MS } from './limits.js';
import { setLongTimeout, type TimerHost } from './long-timeout.js';

/**
 * Raw timers on a hand-moved monotonic clock that behave as Node's: a wait over 2^31-1 ms fires
 * after 1 ms. Records every wait asked for and every unref.
 */
class FakeHost implements TimerHost {
  at = 0;
  readonly waits: number[] = [];
  unrefs = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;

  now(): number {
    return this.at;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    this.waits.push(ms);
    const id = this.#next++;
    this.#timers.set(id, { at: this.at + (ms > MAX_TIMER_MS || !(ms >= 1) ? 1 : ms), fn });
    return {
      id,
      unref: () => {
        this.unrefs++;
      },
    };
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete((handle as { id: number }).id);
  }

  get pending(): number {
    return this.#timers.size;
  }

  /** Moves the clock to `to`, firing each timer that falls due on the way, in time order. */
  advanceTo(to: number): void {
    for (;;) {
      const due = [...this.#timers.entries()]
        .filter(([, t]) => t.at <= to)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.at = Math.max(this.at, due[1].at);
      due[1].fn();
    }
    this.at = to;
  }
}

describe('setLongTimeout', () => {
  it('waits 2^32 ms as a chain of timers of at most 2^31-1 ms and fires at the deadline', () => {
    const host = new FakeHost();
    const fn = vi.fn();
    setLongTimeout(fn, 2 ** 32, { host });
    host.advanceTo(2 ** 32 - 1);
    expect(fn).not.toHaveBeenCalled();
    host.advanceTo(2 ** 32);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(host.waits).toEqual([MAX_TIMER_MS, MAX_TIMER_MS, 2]);
    expect(host.waits.every((ms) => ms <= MAX_TIMER_MS)).toBe(true);
    expect(host.pending).toBe(0);
  });

  it('re-arms for what is left when a link fired late', () => {
    const host = new FakeHost();
    const fn = vi.fn();
    const days30 = 30 * 86_400_000;
    setLongTimeout(fn, days30, { host });
    // The event loop was busy: the first link runs 5 days after it was due.
    host.at = MAX_TIMER_MS + 5 * 86_400_000;
    host.advanceTo(host.at);
    expect(host.waits).toEqual([MAX_TIMER_MS, days30 - MAX_TIMER_MS - 5 * 86_400_000]);
    host.advanceTo(days30 - 1);
    expect(fn).not.toHaveBeenCalled();
    host.advanceTo(days30);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('uses one timer for a wait a Node.js timer can take', () => {
    const host = new FakeHost();
    const fn = vi.fn();
    setLongTimeout(fn, MAX_TIMER_MS, { host });
    host.advanceTo(MAX_TIMER_MS);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(host.waits).toEqual([MAX_TIMER_MS]);
  });

  it('cancels whichever link is waiting', () => {
    const host = new FakeHost();
    const fn = vi.fn();
    const cancel = setLongTimeout(fn, 3 * MAX_TIMER_MS, { host });
    host.advanceTo(MAX_TIMER_MS + 10);
    expect(host.waits).toHaveLength(2);
    cancel();
    expect(host.pending).toBe(0);
    host.advanceTo(4 * MAX_TIMER_MS);
    expect(fn).not.toHaveBeenCalled();
  });

  it('unrefs every link when asked, and none otherwise', () => {
    const host = new FakeHost();
    setLongTimeout(() => undefined, 2 ** 32, { host, unref: true });
    host.advanceTo(2 ** 32);
    expect(host.unrefs).toBe(3);
    const kept = new FakeHost();
    setLongTimeout(() => undefined, 2 ** 32, { host: kept });
    kept.advanceTo(2 ** 32);
    expect(kept.unrefs).toBe(0);
  });

  it('fires a negative or NaN wait at once and never fires Infinity', () => {
    const host = new FakeHost();
    const soon = vi.fn();
    const never = vi.fn();
    setLongTimeout(soon, -5, { host });
    setLongTimeout(soon, Number.NaN, { host });
    setLongTimeout(never, Number.POSITIVE_INFINITY, { host });
    host.advanceTo(1);
    expect(soon).toHaveBeenCalledTimes(2);
    host.advanceTo(100 * MAX_TIMER_MS);
    expect(never).not.toHaveBeenCalled();
    expect(host.waits.slice(0, 2)).toEqual([0, 0]);
    expect(host.waits.slice(2).every((ms) => ms === MAX_TIMER_MS)).toBe(true);
  });
});

describe('systemClock.setTimer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('does not fire a 2^32 ms timer early (Node fires one such timer after 1 ms)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const fn = vi.fn();
    systemClock.setTimer(fn, 2 ** 32);
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2 ** 32 - 1001);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('cancels a chained timer after it re-armed', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const fn = vi.fn();
    const cancel = systemClock.setTimer(fn, 30 * 86_400_000);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1000);
    cancel();
    vi.advanceTimersByTime(30 * 86_400_000);
    expect(fn).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
