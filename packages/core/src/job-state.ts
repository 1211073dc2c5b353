/** Every state a job can be in. */
export const JOB_STATES = [
  'pending',
  'delayed',
  'scheduled',
  'running',
  'retrying',
  'completed',
  'failed',
  'dead_letter',
  'cancelled',
] as const;

/**
 * A job's state. The transitions, each a compare-and-set in the store (see `Store`):
 *
 * ```
 * submit --> pending (waiting on dependencies) --> scheduled (delayed while runAt is ahead)
 *        --> delayed (runAt ahead) --> claimable once runAt passes
 *        --> scheduled --claim--> running --ok--> completed
 * running --retriable error, attempts left--> retrying --claim once runAt passes--> running
 * running --retriable error, no attempts left--> dead_letter
 * running --permanent error--> failed
 * running --lease expired (worker died)--> retrying or dead_letter
 * running --release (graceful shutdown)--> scheduled, the attempt not spent
 * pending or submit --a dependency failed, dead-lettered, was cancelled or deleted--> cancelled
 * any non-terminal --cancel--> cancelled (a running handler's AbortSignal fires)
 * failed, dead_letter, cancelled --retry / requeue--> scheduled
 * ```
 */
export type JobState = (typeof JOB_STATES)[number];

/** States a job never leaves on its own (retry, requeue and delete are explicit). */
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set([
  'completed',
  'failed',
  'dead_letter',
  'cancelled',
]);

/** States whose jobs a worker may claim once their `runAt` has passed. */
export const RUNNABLE_STATES: ReadonlySet<JobState> = new Set(['scheduled', 'delayed', 'retrying']);

/** True for completed, failed, dead_letter and cancelled. */
export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.has(state);
}

/** True when `value` names a job state. */
export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && (JOB_STATES as readonly string[]).includes(value);
}
