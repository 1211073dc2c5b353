import { backoffDelay, type FailOutcome, type FailureReport, type Job } from '@gopherqueue/core';

/** Error classes that never retry: the handler said so, or no handler exists for the type. */
const FINAL_CLASSES = new Set(['permanent', 'unknown_type']);

/**
 * True when the failure's error name or error class is one of `names`: how `retryOn` and
 * `noRetryOn` match (`TypeError` matches by name, `timeout` by class).
 */
function matches(
  names: readonly string[],
  report: Pick<FailureReport, 'errorClass' | 'name'>,
): boolean {
  return (
    names.includes(report.errorClass) || (report.name !== undefined && names.includes(report.name))
  );
}

/**
 * Decides where a failed attempt leads. `failed` for permanent errors (a `PermanentError`, an
 * error with `retry: false`), unknown types, a failure whose error name or class the job's
 * `noRetryOn` lists, or one its `retryOn` (when given) does not list; else `dead_letter` when the
 * attempts are spent; else `retrying` after the wait the error asked for (`retryAfterMs`), or
 * the job's backoff. `job.attempt` is the attempt that just failed (the store increments it at
 * claim).
 */
export function failureOutcome(
  job: Pick<Job, 'attempt' | 'maxAttempts' | 'backoff' | 'retryOn' | 'noRetryOn'>,
  report: Pick<FailureReport, 'errorClass' | 'name' | 'retryAfterMs'>,
  now: number,
  random: () => number = Math.random,
): FailOutcome {
  if (FINAL_CLASSES.has(report.errorClass)) return { state: 'failed' };
  if (job.noRetryOn !== undefined && matches(job.noRetryOn, report)) return { state: 'failed' };
  if (job.retryOn !== undefined && !matches(job.retryOn, report)) return { state: 'failed' };
  if (job.attempt >= job.maxAttempts) return { state: 'dead_letter' };
  const wait = report.retryAfterMs ?? backoffDelay(job.backoff, job.attempt, random);
  return { state: 'retrying', runAt: now + wait };
}
