import { setLongTimeout } from './long-timeout.js';

/** Time as the engine sees it; injected so tests can move it. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Like `setTimeout`, on this clock, for a wait of any length (a month, a year): it never fires
   * early. Returns a function that cancels the timer.
   */
  setTimer(fn: () => void, ms: number): () => void;
}

/**
 * The real clock. Its timers do not keep the process alive, and a wait longer than one Node.js
 * timer allows (2^31-1 ms) is chained from shorter ones (see {@link setLongTimeout}).
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setLongTimeout(fn, ms, { unref: true }),
};

/** A clock that only moves when told to; fires due timers on {@link ManualClock.advance}. */
export class ManualClock implements Clock {
  #now: number;
  #timers = new Set<{ at: number; fn: () => void }>();

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
