import type { Clock } from '@gopherqueue/core';

/** Resolves `ms` from now on `clock`, or at once when `signal` aborts. Never rejects. */
export async function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await new Promise<void>((resolve) => {
    const cancel = clock.setTimer(done, ms);
    function done(): void {
      cancel();
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The wait after the n-th failure in a row before trying again (a claim, a reconnect): 250 ms
 * doubling, at most 5 s, so an unreachable store or server never makes a loop spin.
 */
export function retryDelayMs(failures: number): number {
  return Math.min(5_000, 250 * 2 ** Math.min(failures, 5));
}
