import {
  durationProblem,
  ErrorCode,
  groupProblem,
  GqError,
  MAX_ADMISSION_KEY_LENGTH,
  MAX_BACKOFF_MS,
  MAX_DELAY_MS,
  MAX_TIME_MS,
  MIN_TIME_MS,
  MAX_DURATION_MS,
  MAX_TIMEOUT_MS,
  runAtProblem,
  type Backoff,
  type Job,
  type JobSpec,
} from '@gopherqueue/core';

/**
 * The stores' own check of the times they are given, behind the checks of `createJob` and the
 * API: a job whose `runAt`, `timeoutMs` or backoff is not finite or past its bound in
 * `@gopherqueue/core`'s limits is refused before anything is written, so no caller (an old
 * client, an import, a hand-made spec) can store a time that later breaks a reader or a timer.
 */

function invalid(id: string, field: string, problem: string): GqError {
  return new GqError(ErrorCode.INVALID_ARGUMENT, `job ${id}: ${problem}`, {
    details: { id, field },
  });
}

/**
 * Why one job's times cannot be stored, as an error, or undefined when they can. A spec may
 * leave `runAt` out (it runs now); a restored job must carry one.
 */
function timesProblem(job: JobSpec, now: number, runAtRequired: boolean): GqError | undefined {
  if (job.runAt !== undefined || runAtRequired) {
    const problem = runAtProblem(job.runAt, now);
    if (problem !== undefined) return invalid(job.id, 'runAt', problem);
  }
  const timeout = durationProblem(job.timeoutMs, MAX_TIMEOUT_MS);
  if (timeout !== undefined) return invalid(job.id, 'timeoutMs', `timeoutMs ${timeout}`);
  const admission = admissionProblem(job);
  if (admission !== undefined) return invalid(job.id, admission.field, admission.problem);
  // An imported record may lack its backoff: that is refused here too, not met by a TypeError.
  const backoff = job.backoff as Partial<Backoff> | undefined;
  for (const field of ['initialMs', 'maxMs'] as const) {
    const problem = durationProblem(backoff?.[field] ?? Number.NaN, MAX_BACKOFF_MS);
    if (problem !== undefined) {
      return invalid(job.id, `backoff.${field}`, `backoff.${field} ${problem}`);
    }
  }
  // A group key becomes part of index keys: one of odd characters or length is refused too.
  if (job.group !== undefined) {
    const problem = groupProblem(job.group);
    if (problem !== undefined) return invalid(job.id, 'group', problem);
  }
  return undefined;
}

/** Why a job's unique key, debounce or expiry cannot be stored (a hand-made spec, an import). */
function admissionProblem(job: JobSpec): { field: string; problem: string } | undefined {
  const keyProblem = (key: unknown): string | undefined =>
    typeof key === 'string' && key !== '' && key.length <= MAX_ADMISSION_KEY_LENGTH
      ? undefined
      : `must be a string of 1..${MAX_ADMISSION_KEY_LENGTH} characters`;
  const { unique, debounce, expiresAt } = job;
  if (unique !== undefined) {
    const key = keyProblem(unique?.key);
    if (key !== undefined) return { field: 'unique.key', problem: `unique.key ${key}` };
    const until = unique.until;
    if (until !== 'started' && until !== 'finished') {
      const problem =
        typeof until === 'number' ? durationProblem(until, MAX_DELAY_MS, 1) : 'is not a window';
      if (problem !== undefined) {
        return { field: 'unique.until', problem: `unique.until ${problem}` };
      }
    }
  }
  if (debounce !== undefined) {
    const key = keyProblem(debounce?.key);
    if (key !== undefined) return { field: 'debounce.key', problem: `debounce.key ${key}` };
    for (const field of ['waitMs', 'maxWaitMs'] as const) {
      const value = debounce[field];
      const problem =
        typeof value === 'number' ? durationProblem(value, MAX_DELAY_MS, 1) : 'is missing';
      if (problem !== undefined) {
        return { field: `debounce.${field}`, problem: `debounce.${field} ${problem}` };
      }
    }
  }
  if (
    expiresAt !== undefined &&
    (typeof expiresAt !== 'number' ||
      !Number.isFinite(expiresAt) ||
      expiresAt < MIN_TIME_MS ||
      expiresAt > MAX_TIME_MS)
  ) {
    return { field: 'expiresAt', problem: `expiresAt must be a time from year 0 to 9999` };
  }
  return undefined;
}

/**
 * Checks the specs of a submit against a store clock reading `now`.
 * @throws GQ_INVALID_ARGUMENT naming the first job and field out of bounds.
 */
export function checkSpecTimes(specs: readonly JobSpec[], now: number): void {
  for (const spec of specs) {
    const problem = timesProblem(spec, now, false);
    if (problem !== undefined) throw problem;
  }
}

/**
 * Checks jobs given to `restore`, whose `runAt` is always set.
 * @throws GQ_INVALID_ARGUMENT naming the first job and field out of bounds.
 */
export function checkRestoredTimes(jobs: readonly Job[], now: number): void {
  for (const job of jobs) {
    const problem = timesProblem(job, now, true);
    if (problem !== undefined) throw problem;
  }
}

/**
 * Checks the `runAt` a `release` asks for (none: now).
 * @throws GQ_INVALID_ARGUMENT naming `runAt`.
 */
export function checkReleaseRunAt(id: string, runAt: number | undefined, now: number): void {
  if (runAt === undefined) return;
  const problem = runAtProblem(runAt, now);
  if (problem !== undefined) throw invalid(id, 'runAt', problem);
}

/**
 * Checks the lease length of a claim or a heartbeat: a finite number of ms above 0 and at most
 * `MAX_DURATION_MS` (10 years), so `leaseExpiresAt` stays a time every reader can write.
 * @throws RangeError naming `leaseMs`.
 */
export function checkLeaseMs(leaseMs: number): void {
  const problem =
    leaseMs > 0 ? durationProblem(leaseMs, MAX_DURATION_MS) : 'must be greater than 0';
  if (problem !== undefined) throw new RangeError(`leaseMs ${problem}; got ${leaseMs}`);
}
