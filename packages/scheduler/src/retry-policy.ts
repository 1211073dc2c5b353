import {
  backoffDelay,
  JOB_DEFAULTS,
  type FailOutcome,
  type FailureReport,
  type Job,
} from '@gopherqueue/core';

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

/** A stored list of error names, or undefined (no list) when it is not an array. */
function listOf(names: unknown): readonly string[] | undefined {
  return Array.isArray(names) ? (names as string[]) : undefined;
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
  // A stored job is data: a list that is not one counts as none, and attempts that are not a
  // number as the default, so an odd record neither fails its failure nor retries forever.
  const noRetryOn = listOf(job.noRetryOn);
  const retryOn = listOf(job.retryOn);
  if (noRetryOn !== undefined && matches(noRetryOn, report)) return { state: 'failed' };
  if (retryOn !== undefined && !matches(retryOn, report)) return { state: 'failed' };
  const maxAttempts = Number.isFinite(job.maxAttempts) ? job.maxAttempts : JOB_DEFAULTS.maxAttempts;
  if (!(job.attempt < maxAttempts)) return { state: 'dead_letter' };
  const wait = report.retryAfterMs ?? backoffDelay(job.backoff, job.attempt, random);
  // A whole millisecond, as the stores keep times (a jittered backoff is fractional).
  return { state: 'retrying', runAt: now + Math.ceil(wait) };
}
