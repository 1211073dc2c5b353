import type {
  ClaimOptions,
  FailInput,
  HeartbeatInput,
  Job,
  JobSpec,
  JobState,
  Json,
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
  const runAt = spec.runAt ?? now;
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
    seq,
    createdAt: now,
    updatedAt: now,
  };
  if (spec.idempotencyKey !== undefined) job.idempotencyKey = spec.idempotencyKey;
  if (spec.correlationId !== undefined) job.correlationId = spec.correlationId;
  if (dependencyFailed) {
    job.cancelReason = 'dependency_failed';
    job.finishedAt = now;
  }
  return job;
}

/** The job without its lease fields (they are set only while running). */
export function withoutLease(job: Job): Job {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { leaseToken, leaseExpiresAt, workerId, ...rest } = job;
  return rest;
}

export function claimedJob(job: Job, now: number, options: ClaimOptions, token: string): Job {
  return {
    ...job,
    state: 'running',
    attempt: job.attempt + 1,
    startedAt: now,
    updatedAt: now,
    leaseToken: token,
    leaseExpiresAt: now + options.leaseMs,
    workerId: options.workerId,
  };
}

export function heartbeatJob(job: Job, now: number, input: HeartbeatInput): Job {
  const next: Job = { ...job, leaseExpiresAt: now + input.leaseMs, updatedAt: now };
  if (input.checkpoint !== undefined) next.checkpoint = input.checkpoint;
  if (input.progress !== undefined) next.progress = input.progress;
  if (input.progressMessage !== undefined) next.progressMessage = input.progressMessage;
  return next;
}

export function completedJob(job: Job, now: number, result: Json): Job {
  return { ...withoutLease(job), state: 'completed', result, finishedAt: now, updatedAt: now };
}

export function failedJob(job: Job, now: number, input: FailInput): Job {
  const errors = [...job.errors, { ...input.error, attempt: job.attempt, at: now }];
  const next: Job = { ...withoutLease(job), state: input.outcome.state, errors, updatedAt: now };
  if (input.outcome.state === 'retrying') next.runAt = input.outcome.runAt;
  else next.finishedAt = now;
  return next;
}

export function releasedJob(job: Job, now: number, runAt: number): Job {
  return {
    ...withoutLease(job),
    state: 'scheduled',
    attempt: Math.max(0, job.attempt - 1),
    runAt,
    updatedAt: now,
  };
}

export function cancelledJob(job: Job, now: number, reason: string | undefined): Job {
  const next: Job = { ...withoutLease(job), state: 'cancelled', finishedAt: now, updatedAt: now };
  if (reason !== undefined) next.cancelReason = reason;
  return next;
}

export function retriedJob(job: Job, now: number, resetAttempts: boolean): Job {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { finishedAt, cancelReason, ...rest } = withoutLease(job);
  return {
    ...rest,
    state: 'scheduled',
    attempt: resetAttempts ? 0 : job.attempt,
    runAt: now,
    waitingOn: [],
    updatedAt: now,
  };
}

/** A pending job after `dep` completed: still pending, or runnable once nothing is left. */
export function dependencyMetJob(job: Job, dep: string, now: number): Job {
  const waitingOn = job.waitingOn.filter((id) => id !== dep);
  const state: JobState =
    waitingOn.length > 0 ? 'pending' : job.runAt > now ? 'delayed' : 'scheduled';
  return { ...job, waitingOn, state, updatedAt: now };
}
