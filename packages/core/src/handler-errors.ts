import { parseDuration } from './duration.js';
import { durationOption, MAX_BACKOFF_MS, MAX_DELAY_MS } from './limits.js';

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

/** Options of {@link RetryableError}. */
export interface RetryableErrorOptions {
  /**
   * Wait this long before the next attempt instead of the job's backoff: a duration (`"10s"`) or
   * ms, at most `MAX_BACKOFF_MS` (10 years). The attempt is spent as with any failure.
   */
  retryAfter?: string | number;
  /** False: fail the job at once, without retrying (as a `PermanentError` does). */
  retry?: boolean;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A failure that says how it should be retried: after `retryAfter` rather than the job's backoff,
 * or (`retry: false`) not at all. The same holds for any error with a `retryAfter` property
 * (ms, or a duration string) or `retry === false`, such as an HTTP client's error: see
 * {@link retryAfterOf} and {@link retryRefused}.
 */
export class RetryableError extends Error {
  override readonly name: string = 'RetryableError';
  /** The wait before the next attempt, in ms, when one was given. */
  readonly retryAfter: number | undefined;
  /** False when the job must not retry. */
  readonly retry: boolean;

  /** @throws TypeError or RangeError for a bad `retryAfter`, naming it. */
  constructor(message: string, options: RetryableErrorOptions = {}) {
    const retryAfter =
      options.retryAfter === undefined
        ? undefined
        : durationOption('retryAfter', options.retryAfter, MAX_BACKOFF_MS);
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfter = retryAfter;
    this.retry = options.retry !== false;
  }
}

/**
 * The wait before the next attempt that `err` asks for, in ms: its `retryAfter` property, a
 * number of ms or a duration string (`"10s"`) within `MAX_BACKOFF_MS`; undefined when it has none
 * or one that is not such a duration (the job's backoff applies then).
 */
export function retryAfterOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  let value: unknown;
  try {
    value = (err as { retryAfter?: unknown }).retryAfter;
  } catch {
    return undefined;
  }
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  try {
    const ms = parseDuration(value);
    return ms <= MAX_BACKOFF_MS ? ms : undefined;
  } catch {
    return undefined;
  }
}

/** True when `err` says it must not be retried: its `retry` property is `false`. */
export function retryRefused(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  try {
    return (err as { retry?: unknown }).retry === false;
  } catch {
    return false;
  }
}
