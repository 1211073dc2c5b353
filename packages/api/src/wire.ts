import {
  createJob,
  isTerminal,
  MAX_TIME_MS,
  MIN_TIME_MS,
  type Job,
  type JobCounts,
  type JobOptions,
  type JobSpec,
  type JobState,
} from '@gopherqueue/core';
import { validationError } from './errors.js';
import type { SubmitBody } from './schemas.js';
import type {
  WireJob,
  WireJobResult,
  WireLeasedJob,
  WireQueueStats,
  WireWaitResult,
} from './wire-types.js';

/**
 * Milliseconds since the epoch as an RFC 3339 string. Never throws, so one odd stored value
 * cannot break a listing or an event stream: a time RFC 3339 cannot write (before year 0, after
 * year 9999, or past what a Date holds) comes out as the nearest one it can,
 * `0000-01-01T00:00:00.000Z` or `9999-12-31T23:59:59.999Z`, and a value that is not a number
 * at all (NaN, or null in an old record) as the epoch, `1970-01-01T00:00:00.000Z`.
 */
export function rfc3339(ms: number): string {
  const time =
    typeof ms === 'number' && !Number.isNaN(ms)
      ? Math.min(Math.max(ms, MIN_TIME_MS), MAX_TIME_MS)
      : 0;
  return new Date(time).toISOString();
}

function optionalTime(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : rfc3339(ms);
}

/** Drops `undefined` fields so the JSON stays as the original's `omitempty` made it. */
function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) Reflect.deleteProperty(value, key);
  }
  return value;
}

/**
 * A stored job in the wire format, with the reason it waits when one is given. Never includes
 * the lease token.
 */
export function toWireJob(job: Job, waitingReason?: string): WireJob {
  const last = job.errors.at(-1);
  return compact<WireJob>({
    id: job.id,
    type: job.type,
    state: job.state,
    priority: job.priority,
    attempt: job.attempt,
    max_attempts: job.maxAttempts,
    progress: job.progress ?? 0,
    progress_message: job.progressMessage,
    tags: job.tags,
    created_at: rfc3339(job.createdAt),
    updated_at: rfc3339(job.updatedAt),
    scheduled_at: rfc3339(job.runAt),
    started_at: optionalTime(job.startedAt),
    completed_at: optionalTime(job.finishedAt),
    last_error: last?.message,
    payload: job.payload,
    queue: job.queue,
    depends_on: job.dependsOn,
    waiting_on: job.waitingOn,
    checkpoint: job.checkpoint,
    errors: job.errors.map((e) =>
      compact({
        attempt: e.attempt,
        message: e.message,
        class: e.errorClass,
        name: e.name,
        stack: e.stack,
        at: rfc3339(e.at),
      }),
    ),
    result: job.result,
    timeout_ms: job.timeoutMs,
    backoff: {
      strategy: job.backoff.strategy,
      initial_ms: job.backoff.initialMs,
      max_ms: job.backoff.maxMs,
      multiplier: job.backoff.multiplier,
      jitter: job.backoff.jitter,
    },
    idempotency_key: job.idempotencyKey,
    correlation_id: job.correlationId,
    cancel_reason: job.cancelReason,
    worker_id: job.workerId,
    waiting_reason: waitingReason,
  });
}

/** A claimed job with its lease, for the remote worker that holds it. */
export function toWireLeasedJob(job: Job): WireLeasedJob {
  return {
    ...toWireJob(job),
    lease_token: job.leaseToken ?? '',
    lease_expires_at: rfc3339(job.leaseExpiresAt ?? job.updatedAt),
  };
}

/** A finished job's outcome in the original's `JobResult` shape; `duration` in nanoseconds. */
export function toWireResult(job: Job): WireJobResult {
  const last = job.errors.at(-1);
  const success = job.state === 'completed';
  const durationMs =
    job.startedAt !== undefined && job.finishedAt !== undefined
      ? Math.max(0, job.finishedAt - job.startedAt)
      : 0;
  const failure = success
    ? {}
    : job.state === 'cancelled'
      ? { error: job.cancelReason ?? 'cancelled', error_category: 'cancelled' }
      : { error: last?.message, error_category: last?.errorClass };
  return compact<WireJobResult>({
    job_id: job.id,
    success,
    output: success ? (job.result ?? null) : undefined,
    ...failure,
    duration: durationMs * 1_000_000,
    completed_at: optionalTime(job.finishedAt),
  });
}

/** The answer of a wait: finished or not, and the result once finished. */
export function toWireWait(job: Job, timedOut: boolean): WireWaitResult {
  const done = isTerminal(job.state);
  const answer: WireWaitResult = {
    id: job.id,
    state: job.state,
    completed: done,
    success: job.state === 'completed',
    timed_out: timedOut,
  };
  if (done) answer.result = toWireResult(job);
  return answer;
}

/** Store counts in the original's `QueueStats` shape. */
export function toWireQueueStats(
  counts: Pick<JobCounts, 'total' | 'byState'>,
  storageBytes: number,
  now: number,
): WireQueueStats {
  const s = (state: JobState): number => counts.byState[state];
  return {
    pending: s('pending'),
    scheduled: s('scheduled'),
    running: s('running'),
    delayed: s('delayed'),
    retrying: s('retrying'),
    completed: s('completed'),
    failed: s('failed'),
    dead_letter: s('dead_letter'),
    cancelled: s('cancelled'),
    total_jobs: counts.total,
    storage_bytes: storageBytes,
    timestamp: rfc3339(now),
  };
}

/** Fields of `createJob`'s messages, by the name they use, as the wire names them. */
const WIRE_FIELD: Record<string, string> = {
  maxAttempts: 'max_attempts',
  runAt: 'scheduled_at',
  dependsOn: 'depends_on',
  idempotencyKey: 'idempotency_key',
  correlationId: 'correlation_id',
};

/**
 * A validated submit body as a {@link JobSpec}, built by core's `createJob`.
 * @param now - submission time, for `delay`.
 * @param prefix - field prefix for error messages (`jobs.3`).
 * @throws HttpError `validation_error` naming the field `createJob` rejected.
 */
export function toJobSpec(body: SubmitBody, now: number, prefix?: string): JobSpec {
  const options: JobOptions = {};
  if (body.priority !== undefined) options.priority = body.priority;
  if (body.queue !== undefined) options.queue = body.queue;
  if (body.delay !== undefined) options.delay = body.delay;
  if (body.scheduled_at !== undefined) options.runAt = body.scheduled_at;
  if (body.timeout !== undefined) options.timeout = body.timeout;
  if (body.max_attempts !== undefined) options.maxAttempts = body.max_attempts;
  if (body.idempotency_key !== undefined) options.idempotencyKey = body.idempotency_key;
  if (body.correlation_id !== undefined) options.correlationId = body.correlation_id;
  if (body.tags !== undefined) options.tags = body.tags;
  if (body.depends_on !== undefined) options.dependsOn = body.depends_on;
  if (body.backoff !== undefined) {
    const b = body.backoff;
    options.backoff = {};
    if (b.strategy !== undefined) options.backoff.strategy = b.strategy;
    const initialMs = b.initial_ms ?? b.initial;
    const maxMs = b.max_ms ?? b.max;
    if (initialMs !== undefined) options.backoff.initialMs = initialMs;
    if (maxMs !== undefined) options.backoff.maxMs = maxMs;
    if (b.multiplier !== undefined) options.backoff.multiplier = b.multiplier;
    if (b.jitter !== undefined) options.backoff.jitter = b.jitter;
  }
  try {
    return createJob(body.type, body.payload ?? null, options, now);
  } catch (err) {
    if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
    const first = /^[A-Za-z_.]+/.exec(err.message)?.[0];
    if (first === undefined) {
      const field = prefix ?? 'body';
      throw validationError(field, `${field}: ${err.message}`);
    }
    const mapped = first.startsWith('backoff.') ? first : (WIRE_FIELD[first] ?? first);
    const field = prefix === undefined ? mapped : `${prefix}.${mapped}`;
    // The message names the option as createJob knows it; say it as the request did.
    const rest = err.message.slice(first.length).replace(/^:?\s*/, '');
    throw validationError(field, `${field}: ${rest}`);
  }
}
