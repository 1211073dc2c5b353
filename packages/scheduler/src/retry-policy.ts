import { backoffDelay, type FailOutcome, type FailureReport, type Job } from '@gopherqueue/core';

/** Error classes that never retry: the handler said so, or no handler exists for the type. */
const FINAL_CLASSES = new Set(['permanent', 'unknown_type']);

/**
 * Decides where a failed attempt leads: `failed` for permanent errors and unknown types,
 * `dead_letter` when the attempts are spent, else `retrying` after the job's backoff.
 * `job.attempt` is the attempt that just failed (the store increments it at claim).
 */
export function failureOutcome(
  job: Pick<Job, 'attempt' | 'maxAttempts' | 'backoff'>,
  report: Pick<FailureReport, 'errorClass'>,
  now: number,
  random: () => number = Math.random,
): FailOutcome {
  if (FINAL_CLASSES.has(report.errorClass)) return { state: 'failed' };
  if (job.attempt >= job.maxAttempts) return { state: 'dead_letter' };
  return { state: 'retrying', runAt: now + backoffDelay(job.backoff, job.attempt, random) };
}
