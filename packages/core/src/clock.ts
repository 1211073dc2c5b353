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
