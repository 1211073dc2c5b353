import { MAX_TIMER_MS } from './limits.js';

/** The raw timer functions {@link setLongTimeout} chains; tests inject fakes. */
export interface TimerHost {
  /** A monotonic reading in milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link setLongTimeout}. */
export interface LongTimeoutOptions {
  /** Let the process exit while the timer waits (Node's `timer.unref()`). @defaultValue false */
  unref?: boolean;
  /** @defaultValue the global `setTimeout`, `clearTimeout` and `performance.now()` */
  host?: TimerHost;
}

/** The global timer functions, looked up at each call so fake timers installed later apply. */
const GLOBAL_HOST: TimerHost = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/**
 * Like `setTimeout(fn, ms)`, for any wait: Node.js fires a timer of more than 2^31-1 ms after
 * 1 ms (with a `TimeoutOverflowWarning`), so a longer wait is chained from timers of at most
 * {@link MAX_TIMER_MS}, each re-armed for what is left of the deadline. A negative or NaN `ms`
 * fires as soon as possible, as `setTimeout` does; `Infinity` never fires.
 * @returns a function that cancels the timer, whichever link of the chain is waiting.
 */
export function setLongTimeout(
  fn: () => void,
  ms: number,
  options: LongTimeoutOptions = {},
): () => void {
  const host = options.host ?? GLOBAL_HOST;
  const unref = options.unref ?? false;
  const wait = ms > 0 ? ms : 0;
  let handle: unknown;
  const arm = (callback: () => void, delay: number): void => {
    handle = host.setTimeout(callback, delay);
    if (unref) (handle as { unref?: () => void } | null)?.unref?.();
  };
  if (wait <= MAX_TIMER_MS) {
    // One timer, exactly as before: the common case pays nothing for the chaining.
    arm(fn, wait);
  } else {
    const deadline = host.now() + wait;
    const hop = (): void => {
      const left = Math.max(0, deadline - host.now());
      if (left > MAX_TIMER_MS) arm(hop, MAX_TIMER_MS);
      else arm(fn, left);
    };
    arm(hop, MAX_TIMER_MS);
  }
  return () => {
    host.clearTimeout(handle);
  };
}
