import { durationOption, MAX_DELAY_MS } from './limits.js';

/** Marks every SnoozeError, whichever copy of this package made it. */
const SNOOZE = Symbol.for('gopherqueue.SnoozeError');

/**
 * Thrown by a handler (or by `ctx.snooze(delay)`, which throws one) to put its job back to run
 * again after `delay` without spending an attempt: the job goes back to `scheduled` with its
 * `runAt` that far ahead, its `attempt` unchanged and nothing added to its `errors`. For a
 * handler that hit a limit outside the engine and should simply try later.
 *
 * `delay` is a duration (`"30s"`, `"1h30m"`) or a number of milliseconds, at most
 * `MAX_DELAY_MS` (10 years); a bad one makes the constructor throw a `TypeError` or
 * `RangeError`, and the attempt fails with that error like with any other throw.
 */
export class SnoozeError extends Error {
  override readonly name: string = 'SnoozeError';
  /** How long until the job may run again, in ms. */
  readonly snoozeMs: number;

  constructor(delay: string | number, message?: string) {
    const ms = durationOption('snooze', delay, MAX_DELAY_MS);
    super(message ?? `snoozed for ${ms} ms`);
    this.snoozeMs = ms;
  }
}
Object.defineProperty(SnoozeError.prototype, SNOOZE, { value: true });

/**
 * A {@link SnoozeError} for a handler told by an outside service to slow down: the job runs again
 * `retryAfter` from now (a duration or ms, as the service's `Retry-After` said), without spending
 * an attempt.
 */
export class RateLimitedError extends SnoozeError {
  override readonly name: string = 'RateLimitedError';
  /** The same as `snoozeMs`: how long the service asked to wait, in ms. */
  readonly retryAfterMs: number;

  constructor(retryAfter: string | number, message?: string) {
    super(retryAfter, message);
    this.retryAfterMs = this.snoozeMs;
    if (message === undefined) this.message = `rate limited; retrying after ${this.snoozeMs} ms`;
  }
}

/**
 * How long `err` snoozes its job, in ms, when it is a {@link SnoozeError} (or a subclass, also
 * one made by another copy of this package), else undefined.
 */
export function snoozeOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  if (!(err instanceof SnoozeError) && (err as Record<symbol, unknown>)[SNOOZE] !== true) {
    return undefined;
  }
  const ms = (err as { snoozeMs?: unknown }).snoozeMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 && ms <= MAX_DELAY_MS
    ? ms
    : undefined;
}
