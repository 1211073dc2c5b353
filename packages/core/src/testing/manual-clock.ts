import type { Clock } from '../clock.js';

/**
 * A clock for tests that only moves when told to: its timers fire on {@link ManualClock.advance},
 * in time order, never on their own.
 */
export class ManualClock implements Clock {
  #now: number;
  #timers = new Set<{ at: number; fn: () => void }>();

  /** @param start - the time it reads at first, in ms since the epoch (2026-01-01 by default) */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.#now + (ms > 0 ? ms : 0), fn };
    this.#timers.add(timer);
    return () => this.#timers.delete(timer);
  }

  /** Moves time forward by `ms` and runs every timer that fell due, in time order. */
  advance(ms: number): void {
    this.#now += ms;
    const due = [...this.#timers].filter((t) => t.at <= this.#now).sort((a, b) => a.at - b.at);
    for (const timer of due) {
      this.#timers.delete(timer);
      timer.fn();
    }
  }
}
