import {
  appendError,
  ErrorCode,
  GqError,
  appendTransition,
  type ClaimOptions,
  type FailInput,
  type HeartbeatInput,
  type Job,
  type JobSpec,
  type JobState,
  type Json,
} from '@gopherqueue/core';

/**
 * Pure functions from a job to its next version, one per transition of the Store contract. They
 * check nothing; the store checks state and lease first. Each returns a new object and never
 * leaves a field set to `undefined`, so a job read back from disk equals the one returned.
 */

/** A new job from its spec: `pending`, `delayed`, `scheduled`, or `cancelled` if a dependency failed. */
export function createdJob(
  spec: JobSpec,
  now: number,
  seq: number,
  waitingOn: string[],
  dependencyFailed: boolean,
): Job {
  // A debounced job waits `waitMs` on the store's clock, whatever clock made the spec.
  const runAt = spec.debounce !== undefined ? now + spec.debounce.waitMs : (spec.runAt ?? now);
  const state: JobState = dependencyFailed
    ? 'cancelled'
    : waitingOn.length > 0
      ? 'pending'
      : runAt > now
        ? 'delayed'
        : 'scheduled';
  const job: Job = {
    id: spec.id,
    type: spec.type,
    queue: spec.queue,
    payload: spec.payload,
    priority: spec.priority,
    state,
    attempt: 0,
    maxAttempts: spec.maxAttempts,
    timeoutMs: spec.timeoutMs,
    backoff: spec.backoff,
    runAt,
    dependsOn: spec.dependsOn,
    waitingOn,
    tags: spec.tags,
    errors: [],
    transitions: [{ state, at: now, attempt: 0 }],
    seq,
    createdAt: now,
    updatedAt: now,
  };
  if (spec.idempotencyKey !== undefined) job.idempotencyKey = spec.idempotencyKey;
  if (spec.correlationId !== undefined) job.correlationId = spec.correlationId;
  if (spec.traceparent !== undefined) job.traceparent = spec.traceparent;
  if (spec.group !== undefined) job.group = spec.group;
  if (spec.retryOn !== undefined) job.retryOn = spec.retryOn;
  if (spec.noRetryOn !== undefined) job.noRetryOn = spec.noRetryOn;
  if (spec.unique !== undefined) job.unique = spec.unique;
  if (spec.debounce !== undefined) job.debounce = spec.debounce;
  if (spec.expiresAt !== undefined) job.expiresAt = spec.expiresAt;
  if (dependencyFailed) {
    job.cancelReason = 'dependency_failed';
    job.finishedAt = now;
  }
  return job;
}

/**
 * A copy of a job built field by field in one fixed order: every job object then shares a few
 * hidden classes, which keeps copies and `JSON.stringify` fast (an object spread with added
 * fields is an order of magnitude slower here). Optional fields are copied only when set.
 */
export function copyJob(job: Job, keepLease: boolean): Job {
  const out: Job = {
    id: job.id,
    type: job.type,
    queue: job.queue,
    payload: job.payload,
    priority: job.priority,
    state: job.state,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    backoff: job.backoff,
    runAt: job.runAt,
    dependsOn: job.dependsOn,
    waitingOn: job.waitingOn,
    tags: job.tags,
    errors: job.errors,
    seq: job.seq,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
  if (job.transitions !== undefined) out.transitions = job.transitions;
  if (job.idempotencyKey !== undefined) out.idempotencyKey = job.idempotencyKey;
  if (job.correlationId !== undefined) out.correlationId = job.correlationId;
  if (job.traceparent !== undefined) out.traceparent = job.traceparent;
  if (job.group !== undefined) out.group = job.group;
  if (job.retryOn !== undefined) out.retryOn = job.retryOn;
  if (job.noRetryOn !== undefined) out.noRetryOn = job.noRetryOn;
  if (job.unique !== undefined) out.unique = job.unique;
  if (job.debounce !== undefined) out.debounce = job.debounce;
  if (job.expiresAt !== undefined) out.expiresAt = job.expiresAt;
  if (job.checkpoint !== undefined) out.checkpoint = job.checkpoint;
  if (job.progress !== undefined) out.progress = job.progress;
  if (job.progressMessage !== undefined) out.progressMessage = job.progressMessage;
  if (job.result !== undefined) out.result = job.result;
  if (job.cancelReason !== undefined) out.cancelReason = job.cancelReason;
  if (job.startedAt !== undefined) out.startedAt = job.startedAt;
  if (job.finishedAt !== undefined) out.finishedAt = job.finishedAt;
  if (keepLease) {
    if (job.leaseToken !== undefined) out.leaseToken = job.leaseToken;
    if (job.leaseExpiresAt !== undefined) out.leaseExpiresAt = job.leaseExpiresAt;
    if (job.workerId !== undefined) out.workerId = job.workerId;
  }
  return out;
}

/**
 * Records on `next` the change from `job`'s state, when there is one (`next.transitions` gets a
 * new array; `job`'s is shared with older versions and never changed). Returns `next`.
 */
function moved(job: Job, next: Job, now: number): Job {
  if (next.state !== job.state) {
    next.transitions = appendTransition(job.transitions, {
      state: next.state,
      at: now,
      attempt: next.attempt,
    });
  }
  return next;
}

export function claimedJob(job: Job, now: number, options: ClaimOptions, token: string): Job {
  const next = copyJob(job, false);
  next.state = 'running';
  next.attempt = job.attempt + 1;
  next.updatedAt = now;
  next.startedAt = now;
  next.leaseToken = token;
  next.leaseExpiresAt = now + options.leaseMs;
  next.workerId = options.workerId;
  return moved(job, next, now);
}

export function heartbeatJob(job: Job, now: number, input: HeartbeatInput): Job {
  const next = copyJob(job, true);
  next.leaseExpiresAt = now + input.leaseMs;
  next.updatedAt = now;
  // A null checkpoint clears the saved one: PostgreSQL cannot tell a JSON null from none.
  if (input.checkpoint === null) delete next.checkpoint;
  else if (input.checkpoint !== undefined) next.checkpoint = input.checkpoint;
  if (input.progress !== undefined) next.progress = input.progress;
  if (input.progressMessage !== undefined) next.progressMessage = input.progressMessage;
  return next;
}

export function completedJob(job: Job, now: number, result: Json): Job {
  const next = copyJob(job, false);
  next.state = 'completed';
  next.updatedAt = now;
  next.result = result;
  next.progress = completedProgress(job.progress);
  next.finishedAt = now;
  return moved(job, next, now);
}

/** A completed job's progress: 100, unless the handler reported an object (or array) of its own. */
function completedProgress(progress: Json | undefined): Json {
  return typeof progress === 'object' && progress !== null ? progress : 100;
}

export function failedJob(job: Job, now: number, input: FailInput): Job {
  const next = copyJob(job, false);
  next.state = input.outcome.state;
  next.updatedAt = now;
  next.errors = appendError(job.errors, { ...input.error, attempt: job.attempt, at: now });
  // Times are whole milliseconds in every store (PostgreSQL keeps them as bigint).
  if (input.outcome.state === 'retrying') next.runAt = Math.ceil(input.outcome.runAt);
  else next.finishedAt = now;
  return moved(job, next, now);
}

export function releasedJob(job: Job, now: number, runAt: number): Job {
  const next = copyJob(job, false);
  next.state = 'scheduled';
  next.attempt = Math.max(0, job.attempt - 1);
  next.runAt = Math.ceil(runAt);
  next.updatedAt = now;
  return moved(job, next, now);
}

export function cancelledJob(job: Job, now: number, reason: string | undefined): Job {
  const next = copyJob(job, false);
  next.state = 'cancelled';
  next.updatedAt = now;
  if (reason !== undefined) next.cancelReason = reason;
  next.finishedAt = now;
  return moved(job, next, now);
}

/**
 * A failed, dead_letter or cancelled job put back to run: `scheduled` now, or `pending` while any
 * of `waitingOn` (from {@link retryWaitingOn}) has not completed.
 */
export function retriedJob(
  job: Job,
  now: number,
  resetAttempts: boolean,
  waitingOn: string[] = [],
): Job {
  // A retried job runs now: an expiry it had (it may have expired) no longer applies.
  const next = copyJob(
    { ...job, finishedAt: undefined, cancelReason: undefined, expiresAt: undefined },
    false,
  );
  next.state = waitingOn.length > 0 ? 'pending' : 'scheduled';
  next.attempt = resetAttempts ? 0 : job.attempt;
  next.runAt = now;
  next.waitingOn = waitingOn;
  next.updatedAt = now;
  return moved(job, next, now);
}

/**
 * What a retried job waits on, given its dependencies as stored now (undefined: no longer
 * stored): each one not completed. A dependency deleted or purged since no longer holds it back.
 * @throws GQ_INVALID_STATE naming a dependency that ended failed, dead_letter or cancelled: it
 *   would cancel the job again at once, so that one is retried first.
 */
export function retryWaitingOn(
  job: Job,
  deps: readonly (Pick<Job, 'id' | 'state'> | undefined)[],
): string[] {
  const waitingOn: string[] = [];
  for (const dep of deps) {
    if (dep === undefined || dep.state === 'completed') continue;
    if (dep.state === 'failed' || dep.state === 'dead_letter' || dep.state === 'cancelled') {
      throw new GqError(
        ErrorCode.INVALID_STATE,
        `cannot retry job ${job.id}: its dependency ${dep.id} is ${dep.state}; retry ${dep.id} first`,
        {
          details: { id: job.id, state: job.state, dependsOn: dep.id, dependencyState: dep.state },
        },
      );
    }
    waitingOn.push(dep.id);
  }
  return waitingOn;
}

/** A pending job after `dep` completed: still pending, or runnable once nothing is left. */
export function dependencyMetJob(job: Job, dep: string, now: number): Job {
  const next = copyJob(job, false);
  next.waitingOn = job.waitingOn.filter((id) => id !== dep);
  next.state = next.waitingOn.length > 0 ? 'pending' : job.runAt > now ? 'delayed' : 'scheduled';
  next.updatedAt = now;
  return moved(job, next, now);
}

/**
 * A restored job as it must be written given its dependencies as they are now (`deps[i]` for
 * `job.waitingOn[i]`; undefined: not known): a pending job waits no longer on one that completed
 * (and runs once nothing is left), and is cancelled as `dependency_failed`, as a submit would
 * create it, when one ended failed, dead_letter or cancelled; waiting on an unknown one, it is
 * written as given. Any other job is written as given.
 */
export function restoredJob(
  job: Job,
  deps: readonly (Pick<Job, 'id' | 'state'> | undefined)[],
  now: number,
): Job {
  if (job.state !== 'pending') return job;
  if (deps.some((dep) => dep !== undefined && FAILED_STATES.has(dep.state))) {
    return cancelledJob(job, now, 'dependency_failed');
  }
  let next = job;
  for (const dep of deps) {
    if (dep?.state === 'completed') next = dependencyMetJob(next, dep.id, now);
  }
  return next;
}

const FAILED_STATES: ReadonlySet<JobState> = new Set(['failed', 'dead_letter', 'cancelled']);

/**
 * A waiting debounced job after another submit of its key: the new payload, and put off to
 * `now + waitMs`, but never past its first submit + `maxWaitMs` (nor before it could run anyway).
 */
export function debouncedJob(job: Job, now: number, payload: Json, waitMs: number): Job {
  const next = copyJob(job, false);
  const maxWaitMs = job.debounce?.maxWaitMs ?? waitMs;
  next.payload = payload;
  next.runAt = Math.max(now, Math.min(now + waitMs, job.createdAt + maxWaitMs));
  if (job.state !== 'pending') next.state = next.runAt > now ? 'delayed' : 'scheduled';
  next.updatedAt = now;
  return moved(job, next, now);
}
