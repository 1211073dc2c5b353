import { AsyncLocalStorage } from 'node:async_hooks';
import type { Job } from '@gopherqueue/core';

/** What a {@link ProcessGuard} can do with the attempt an uncaught error came from. */
export interface CrashableAttempt {
  readonly job: Job;
  /**
   * Fails the attempt with `error`, raised by code its handler started, outside its promise.
   * False when the attempt is past its handler (the error cannot change its outcome).
   */
  crash(error: unknown): boolean;
}

const scope = new AsyncLocalStorage<CrashableAttempt>();
/** Process guards started; attempts are traced only while one is. */
let guards = 0;

/**
 * Runs `invoke` (a handler's call) so that an error escaping code it started (a timer callback
 * that throws, a promise it forgot to await) can be traced back to `attempt`. Tracing costs every
 * promise of the process a little, so it is on only while a {@link ProcessGuard} is started.
 */
export function runInAttemptScope<T>(attempt: CrashableAttempt, invoke: () => T): T {
  return guards === 0 ? invoke() : scope.run(attempt, invoke);
}

/** The attempt whose handler started the code running now, when it can be known. */
export function currentAttempt(): CrashableAttempt | undefined {
  return guards === 0 ? undefined : scope.getStore();
}

/** Turns tracing on for a started guard. */
export function traceAttempts(): void {
  guards++;
}

/** Turns tracing off when the last guard stops. */
export function untraceAttempts(): void {
  guards = Math.max(0, guards - 1);
  if (guards === 0) scope.disable();
}
