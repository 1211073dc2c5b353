import { durationOption, durationProblem, MAX_BACKOFF_MS } from './limits.js';

/** How the wait before a retry grows. */
export type BackoffStrategy = 'exponential' | 'linear' | 'constant';

/** Retry backoff of a job. All durations in milliseconds. */
export interface Backoff {
  /** @defaultValue `'exponential'` */
  strategy: BackoffStrategy;
  /**
   * Wait before the first retry; at most {@link MAX_BACKOFF_MS} (10 years).
   * @defaultValue 1000
   */
  initialMs: number;
  /**
   * Upper bound of any wait; at most {@link MAX_BACKOFF_MS} (10 years).
   * @defaultValue 3_600_000 (1 h)
   */
  maxMs: number;
  /** Growth factor of the exponential strategy. @defaultValue 2 */
  multiplier: number;
  /** Randomise each wait within [wait/2, wait] so retries of many jobs spread out. @defaultValue true */
  jitter: boolean;
}

/** Backoff as a caller may give it: every field optional, durations as ms or `"30s"`. */
export interface BackoffInput {
  strategy?: BackoffStrategy;
  initialMs?: number;
  maxMs?: number;
  /** Same as `initialMs`, as a Go-style string or milliseconds. */
  initial?: string | number;
  /** Same as `maxMs`, as a Go-style string or milliseconds. */
  max?: string | number;
  multiplier?: number;
  jitter?: boolean;
}

/** The default backoff: exponential from 1 s, doubling, capped at 1 h, with jitter. */
export const DEFAULT_BACKOFF: Readonly<Backoff> = Object.freeze({
  strategy: 'exponential',
  initialMs: 1000,
  maxMs: 3_600_000,
  multiplier: 2,
  jitter: true,
});

/**
 * Fills and validates a backoff given by a caller.
 * @throws RangeError naming the offending field.
 */
export function resolveBackoff(input: BackoffInput | undefined): Backoff {
  if (input === undefined) return { ...DEFAULT_BACKOFF };
  if (typeof input !== 'object' || input === null) {
    throw new TypeError(
      'backoff must be an object like { strategy: "exponential", initial: "1s" }',
    );
  }
  const strategy = input.strategy ?? DEFAULT_BACKOFF.strategy;
  if (strategy !== 'exponential' && strategy !== 'linear' && strategy !== 'constant') {
    throw new RangeError(
      `backoff.strategy must be exponential, linear or constant; got ${JSON.stringify(strategy)}`,
    );
  }
  const initialMs =
    input.initialMs ??
    (input.initial === undefined
      ? undefined
      : durationOption('backoff.initial', input.initial, MAX_BACKOFF_MS));
  const maxMs =
    input.maxMs ??
    (input.max === undefined
      ? undefined
      : durationOption('backoff.max', input.max, MAX_BACKOFF_MS));
  const backoff: Backoff = {
    strategy,
    initialMs: initialMs ?? DEFAULT_BACKOFF.initialMs,
    maxMs: maxMs ?? DEFAULT_BACKOFF.maxMs,
    multiplier: input.multiplier ?? DEFAULT_BACKOFF.multiplier,
    jitter: input.jitter ?? DEFAULT_BACKOFF.jitter,
  };
  if (!Number.isFinite(backoff.initialMs) || backoff.initialMs < 0) {
    throw new RangeError(`backoff.initialMs must be >= 0; got ${backoff.initialMs}`);
  }
  for (const field of ['initialMs', 'maxMs'] as const) {
    const problem = durationProblem(backoff[field], MAX_BACKOFF_MS);
    if (problem !== undefined) throw new RangeError(`backoff.${field} ${problem}`);
  }
  if (!Number.isFinite(backoff.maxMs) || backoff.maxMs < backoff.initialMs) {
    throw new RangeError(`backoff.maxMs must be >= backoff.initialMs; got ${backoff.maxMs}`);
  }
  if (!Number.isFinite(backoff.multiplier) || backoff.multiplier < 1) {
    throw new RangeError(`backoff.multiplier must be >= 1; got ${backoff.multiplier}`);
  }
  if (typeof backoff.jitter !== 'boolean') {
    throw new TypeError(`backoff.jitter must be a boolean; got ${JSON.stringify(backoff.jitter)}`);
  }
  return backoff;
}

/**
 * The wait before retry number `attempt` (1 = the wait after the first failed attempt).
 * `random` returns a number in [0, 1) and is injected so tests can pin jitter. A backoff that
 * {@link resolveBackoff} would refuse (a stored job edited by hand) counts as the default one, so
 * such a job still retries, with a finite wait.
 */
export function backoffDelay(
  stored: Backoff,
  attempt: number,
  random: () => number = Math.random,
): number {
  let backoff: Backoff;
  try {
    backoff = resolveBackoff(stored);
  } catch {
    backoff = { ...DEFAULT_BACKOFF };
  }
  const n = Number.isFinite(attempt) ? Math.max(1, attempt) : 1;
  let wait: number;
  switch (backoff.strategy) {
    case 'constant':
      wait = backoff.initialMs;
      break;
    case 'linear':
      wait = backoff.initialMs * n;
      break;
    case 'exponential':
      // A growth past what a number holds is Infinity (capped below); 0 times it stays 0.
      wait = backoff.initialMs === 0 ? 0 : backoff.initialMs * backoff.multiplier ** (n - 1);
      break;
  }
  wait = Math.min(wait, backoff.maxMs);
  if (backoff.jitter) wait = wait / 2 + random() * (wait / 2);
  return Math.round(wait);
}
