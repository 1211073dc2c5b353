import type {
  Backoff,
  Job,
  JobDebounce,
  JobError,
  JobState,
  JobTransition,
  JobUnique,
  Json,
  PriorityLevel,
} from '@gopherqueue/core';
import { mendJobLists } from '../job-lists.js';

/** A `jobs` row as `pg` returns it (bigint columns arrive as strings). */
export interface JobRow {
  id: string;
  seq: string;
  type: string;
  queue: string;
  payload: Json;
  priority: number;
  state: JobState;
  attempt: number;
  max_attempts: number;
  timeout_ms: string;
  backoff: Backoff;
  run_at: string;
  depends_on: string[];
  waiting_on: string[];
  idempotency_key: string | null;
  correlation_id: string | null;
  grp: string | null;
  tags: Record<string, string>;
  retry_on: string[] | null;
  no_retry_on: string[] | null;
  /** Absent in a schema before migration 8 (and so in a row read from one). */
  uniq?: JobUnique | null;
  debounce?: JobDebounce | null;
  expires_at?: string | null;
  traceparent: string | null;
  checkpoint: Json | null;
  progress: Json | null;
  progress_message: string | null;
  result: Json | null;
  errors: JobError[];
  /** Absent in a schema before migration 13; `[]` for a job stored before it. */
  transitions?: JobTransition[];
  cancel_reason: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  lease_token: string | null;
  lease_expires_at: string | null;
  worker_id: string | null;
}

/**
 * Turns a row into a {@link Job}. The driver reads a jsonb `null` and a SQL NULL alike, as null:
 * a null `checkpoint`, `progress` or `result` column reads as absent, except the result of a
 * completed job, which is null when its handler returned nothing (as every store keeps it). A
 * heartbeat's null checkpoint clears the saved one, in every store.
 */
export function rowToJob(row: JobRow): Job {
  const job: Job = {
    id: row.id,
    type: row.type,
    queue: row.queue,
    payload: row.payload,
    priority: row.priority as PriorityLevel,
    state: row.state,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    timeoutMs: Number(row.timeout_ms),
    backoff: row.backoff,
    runAt: Number(row.run_at),
    dependsOn: row.depends_on,
    waitingOn: row.waiting_on,
    tags: row.tags,
    errors: row.errors,
    seq: Number(row.seq),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
  if (row.transitions !== undefined && row.transitions.length > 0) {
    job.transitions = row.transitions;
  }
  if (row.idempotency_key !== null) job.idempotencyKey = row.idempotency_key;
  if (row.correlation_id !== null) job.correlationId = row.correlation_id;
  if (row.grp != null) job.group = row.grp;
  if (row.retry_on !== null) job.retryOn = row.retry_on;
  if (row.no_retry_on !== null) job.noRetryOn = row.no_retry_on;
  if (row.uniq !== undefined && row.uniq !== null) job.unique = row.uniq;
  if (row.debounce !== undefined && row.debounce !== null) job.debounce = row.debounce;
  if (row.expires_at !== undefined && row.expires_at !== null) {
    job.expiresAt = Number(row.expires_at);
  }
  // Absent (undefined) in rows read by a query that names its columns without it.
  if (row.traceparent != null) job.traceparent = row.traceparent;
  if (row.checkpoint !== null) job.checkpoint = row.checkpoint;
  if (row.progress !== null) job.progress = row.progress;
  if (row.progress_message !== null) job.progressMessage = row.progress_message;
  if (row.result !== null || row.state === 'completed') job.result = row.result;
  if (row.cancel_reason !== null) job.cancelReason = row.cancel_reason;
  if (row.started_at !== null) job.startedAt = Number(row.started_at);
  if (row.finished_at !== null) job.finishedAt = Number(row.finished_at);
  if (row.lease_token !== null) job.leaseToken = row.lease_token;
  if (row.lease_expires_at !== null) job.leaseExpiresAt = Number(row.lease_expires_at);
  if (row.worker_id !== null) job.workerId = row.worker_id;
  return mendJobLists(job);
}

/**
 * A job as one element of the JSON array that `jsonb_to_recordset` reads (see
 * {@link RECORD_COLUMNS}), with `ord`, its place in the array. jsonb values travel boxed as
 * `{ "v": value }` because the record functions turn a JSON null into SQL NULL, which would lose
 * "present and null". A column the job leaves empty is left out, which the record functions read
 * as NULL: a new job leaves most of them empty, and the text PostgreSQL parses is then half as
 * long.
 */
export function jobToRecord(job: Job, ord: number): Record<string, unknown> {
  const record: Record<string, unknown> = {
    id: job.id,
    seq: job.seq,
    type: job.type,
    queue: job.queue,
    priority: job.priority,
    state: job.state,
    attempt: job.attempt,
    max_attempts: job.maxAttempts,
    timeout_ms: job.timeoutMs,
    backoff: job.backoff,
    run_at: job.runAt,
    depends_on: job.dependsOn,
    waiting_on: job.waitingOn,
    tags: job.tags,
    errors: job.errors,
    transitions: job.transitions ?? [],
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    ord,
  };
  const boxed = {
    payload: job.payload,
    checkpoint: job.checkpoint,
    progress: job.progress,
    result: job.result,
  };
  for (const [column, value] of Object.entries(boxed)) {
    if (value !== undefined) record[column] = { v: value };
  }
  const plain = {
    idempotency_key: job.idempotencyKey,
    correlation_id: job.correlationId,
    progress_message: job.progressMessage,
    cancel_reason: job.cancelReason,
    started_at: job.startedAt,
    finished_at: job.finishedAt,
    lease_token: job.leaseToken,
    lease_expires_at: job.leaseExpiresAt,
    worker_id: job.workerId,
    retry_on: job.retryOn,
    no_retry_on: job.noRetryOn,
    uniq: job.unique,
    debounce: job.debounce,
    expires_at: job.expiresAt,
    grp: job.group,
    traceparent: job.traceparent,
  };
  for (const [column, value] of Object.entries(plain)) {
    if (value !== undefined && value !== null) record[column] = value;
  }
  return record;
}

/** The JSON text of `jobs` as records for `jsonb_to_recordset`, in order. */
export function jobRecordsJson(jobs: readonly Job[]): string {
  return JSON.stringify(jobs.map(jobToRecord));
}

/** Column definitions of a job record for `jsonb_to_recordset(...) AS x(...)`. */
export const RECORD_COLUMNS = `id text, seq bigint, type text, queue text, payload jsonb,
  priority smallint, state text, attempt integer, max_attempts integer, timeout_ms bigint,
  backoff jsonb, run_at bigint, depends_on jsonb, waiting_on jsonb, idempotency_key text,
  correlation_id text, tags jsonb, checkpoint jsonb, progress jsonb, progress_message text,
  result jsonb, errors jsonb, cancel_reason text, created_at bigint, updated_at bigint,
  started_at bigint, finished_at bigint, lease_token text, lease_expires_at bigint, worker_id text,
  retry_on jsonb, no_retry_on jsonb, uniq jsonb, debounce jsonb, expires_at bigint, grp text,
  traceparent text, transitions jsonb`;

/** Every `jobs` column but `seq`, in table order. */
export const JOB_COLUMNS = [
  'id',
  'type',
  'queue',
  'payload',
  'priority',
  'state',
  'attempt',
  'max_attempts',
  'timeout_ms',
  'backoff',
  'run_at',
  'depends_on',
  'waiting_on',
  'idempotency_key',
  'correlation_id',
  'tags',
  'checkpoint',
  'progress',
  'progress_message',
  'result',
  'errors',
  'cancel_reason',
  'created_at',
  'updated_at',
  'started_at',
  'finished_at',
  'lease_token',
  'lease_expires_at',
  'worker_id',
  'retry_on',
  'no_retry_on',
  'uniq',
  'debounce',
  'expires_at',
  'grp',
  'traceparent',
  'transitions',
] as const;

const BOXED = new Set(['payload', 'checkpoint', 'progress', 'result']);

/** The SELECT list that reads a record's columns, unboxing the boxed jsonb ones. */
export function recordSelectList(columns: readonly string[]): string {
  return columns.map((c) => (BOXED.has(c) ? `x.${c} -> 'v'` : `x.${c}`)).join(', ');
}
