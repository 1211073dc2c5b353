/**
 * The one table of a job's fields and their wire (snake_case) names. Every mapping between the
 * engine's `Job` and the API's JSON is built from it: the server's `toWireJob`, the client's
 * `fromWireJob`, the submit body the client sends and the server turns into `createJob` options,
 * the OpenAPI schema of a job, and the checks of an NDJSON export line. The types make the type
 * checker verify that every field of `Job` (and of `Backoff`, `JobError` and `JobOptions`) is
 * listed, under the right optionality.
 */
import type {
  Backoff,
  BackoffInput,
  DebounceInput,
  Job,
  JobDebounce,
  JobError,
  JobOptions,
  JobTransition,
  JobUnique,
} from '@gopherqueue/core';

/** What a field holds: decides how it is written on the wire and how a stored value is checked. */
export type FieldKind =
  /** A job id (UUID). */
  | 'uuid'
  /** A type or queue name: a non-empty string. */
  | 'name'
  | 'string'
  /** A finite number. */
  | 'number'
  | 'boolean'
  /** Any JSON value. */
  | 'json'
  /** A priority level, an integer 0..4. */
  | 'priority'
  /** A job state. */
  | 'state'
  /** An integer >= 0. */
  | 'count'
  /** An integer >= 1. */
  | 'positive'
  /** A duration in milliseconds. */
  | 'ms'
  /** Milliseconds since the epoch; an RFC 3339 string on the wire. */
  | 'time'
  /** A list of job ids. */
  | 'ids'
  /** A map of strings to strings. */
  | 'tags'
  /** A list of error names or classes. */
  | 'names'
  /** A retry backoff: see {@link BACKOFF_FIELDS}. */
  | 'backoff'
  /** A list of failed attempts: see {@link JOB_ERROR_FIELDS}. */
  | 'errors'
  /** A list of state changes: see {@link TRANSITION_FIELDS}. */
  | 'transitions'
  /** A unique key and its window: see {@link UNIQUE_FIELDS}. */
  | 'unique'
  /** A debounce key and its waits: see {@link DEBOUNCE_FIELDS}. */
  | 'debounce'
  /** `'started'`, `'finished'` or a duration in milliseconds. */
  | 'until';

/**
 * Who sees a field on the wire: `always` (every job the API returns), `leased` (only the worker
 * holding the lease, in a claim's answer) or `never` (the store's own bookkeeping).
 */
export type FieldAudience = 'always' | 'leased' | 'never';

/** How one field of a record travels. */
export interface WireField {
  /** Its name on the wire. */
  readonly wire: string;
  readonly kind: FieldKind;
  /** True when every record has it (the type checker holds this to the record's type). */
  readonly required: boolean;
}

/** How one field of a {@link Job} travels. */
export interface JobField extends WireField {
  readonly sent: FieldAudience;
  /** Written on the wire when the job has no value (progress reads 0 before any report). */
  readonly absent?: number;
}

/** One entry per field of `T`, its `required` flag true exactly for the fields `T` requires. */
type FieldTable<T, F extends WireField> = {
  readonly [K in keyof T]-?: F & { readonly required: undefined extends T[K] ? false : true };
};

/** Every field of a {@link Job}, in the order the API writes them (the original's first). */
export const JOB_FIELDS = {
  id: { wire: 'id', kind: 'uuid', required: true, sent: 'always' },
  type: { wire: 'type', kind: 'name', required: true, sent: 'always' },
  state: { wire: 'state', kind: 'state', required: true, sent: 'always' },
  priority: { wire: 'priority', kind: 'priority', required: true, sent: 'always' },
  attempt: { wire: 'attempt', kind: 'count', required: true, sent: 'always' },
  maxAttempts: { wire: 'max_attempts', kind: 'positive', required: true, sent: 'always' },
  progress: { wire: 'progress', kind: 'json', required: false, sent: 'always', absent: 0 },
  progressMessage: { wire: 'progress_message', kind: 'string', required: false, sent: 'always' },
  tags: { wire: 'tags', kind: 'tags', required: true, sent: 'always' },
  retryOn: { wire: 'retry_on', kind: 'names', required: false, sent: 'always' },
  noRetryOn: { wire: 'no_retry_on', kind: 'names', required: false, sent: 'always' },
  createdAt: { wire: 'created_at', kind: 'time', required: true, sent: 'always' },
  updatedAt: { wire: 'updated_at', kind: 'time', required: true, sent: 'always' },
  runAt: { wire: 'scheduled_at', kind: 'time', required: true, sent: 'always' },
  startedAt: { wire: 'started_at', kind: 'time', required: false, sent: 'always' },
  finishedAt: { wire: 'completed_at', kind: 'time', required: false, sent: 'always' },
  payload: { wire: 'payload', kind: 'json', required: true, sent: 'always' },
  queue: { wire: 'queue', kind: 'name', required: true, sent: 'always' },
  dependsOn: { wire: 'depends_on', kind: 'ids', required: true, sent: 'always' },
  waitingOn: { wire: 'waiting_on', kind: 'ids', required: true, sent: 'always' },
  checkpoint: { wire: 'checkpoint', kind: 'json', required: false, sent: 'always' },
  errors: { wire: 'errors', kind: 'errors', required: true, sent: 'always' },
  transitions: { wire: 'transitions', kind: 'transitions', required: false, sent: 'always' },
  result: { wire: 'result', kind: 'json', required: false, sent: 'always' },
  timeoutMs: { wire: 'timeout_ms', kind: 'ms', required: true, sent: 'always' },
  backoff: { wire: 'backoff', kind: 'backoff', required: true, sent: 'always' },
  idempotencyKey: { wire: 'idempotency_key', kind: 'string', required: false, sent: 'always' },
  correlationId: { wire: 'correlation_id', kind: 'string', required: false, sent: 'always' },
  traceparent: { wire: 'traceparent', kind: 'string', required: false, sent: 'always' },
  group: { wire: 'group', kind: 'string', required: false, sent: 'always' },
  cancelReason: { wire: 'cancel_reason', kind: 'string', required: false, sent: 'always' },
  unique: { wire: 'unique', kind: 'unique', required: false, sent: 'always' },
  debounce: { wire: 'debounce', kind: 'debounce', required: false, sent: 'always' },
  expiresAt: { wire: 'expires_at', kind: 'time', required: false, sent: 'always' },
  workerId: { wire: 'worker_id', kind: 'string', required: false, sent: 'always' },
  leaseToken: { wire: 'lease_token', kind: 'string', required: false, sent: 'leased' },
  leaseExpiresAt: { wire: 'lease_expires_at', kind: 'time', required: false, sent: 'leased' },
  seq: { wire: 'seq', kind: 'count', required: true, sent: 'never' },
} as const satisfies FieldTable<Job, JobField>;

/** The fields of a {@link Backoff} (all durations in milliseconds). */
export const BACKOFF_FIELDS = {
  strategy: { wire: 'strategy', kind: 'string', required: true },
  initialMs: { wire: 'initial_ms', kind: 'ms', required: true },
  maxMs: { wire: 'max_ms', kind: 'ms', required: true },
  multiplier: { wire: 'multiplier', kind: 'number', required: true },
  jitter: { wire: 'jitter', kind: 'boolean', required: true },
} as const satisfies FieldTable<Backoff, WireField>;

/** The fields of a job's unique key. */
export const UNIQUE_FIELDS = {
  key: { wire: 'key', kind: 'string', required: true },
  until: { wire: 'until', kind: 'until', required: true },
} as const satisfies FieldTable<JobUnique, WireField>;

/** The fields of a job's debounce (durations in milliseconds). */
export const DEBOUNCE_FIELDS = {
  key: { wire: 'key', kind: 'string', required: true },
  waitMs: { wire: 'wait_ms', kind: 'ms', required: true },
  maxWaitMs: { wire: 'max_wait_ms', kind: 'ms', required: true },
} as const satisfies FieldTable<JobDebounce, WireField>;

/** The fields of one failed attempt, a {@link JobError}. */
export const JOB_ERROR_FIELDS = {
  attempt: { wire: 'attempt', kind: 'count', required: true },
  message: { wire: 'message', kind: 'string', required: true },
  errorClass: { wire: 'class', kind: 'string', required: true },
  name: { wire: 'name', kind: 'string', required: false },
  stack: { wire: 'stack', kind: 'string', required: false },
  retryAfterMs: { wire: 'retry_after_ms', kind: 'ms', required: false },
  at: { wire: 'at', kind: 'time', required: true },
} as const satisfies FieldTable<JobError, WireField>;

/** The fields of one state change, a {@link JobTransition}. */
export const TRANSITION_FIELDS = {
  state: { wire: 'state', kind: 'state', required: true },
  at: { wire: 'at', kind: 'time', required: true },
  attempt: { wire: 'attempt', kind: 'count', required: true },
} as const satisfies FieldTable<JobTransition, WireField>;

/** A submit's options: what `createJob` takes besides type and payload, and an id it makes. */
export type SubmitField = Exclude<keyof JobOptions, 'id'>;

/**
 * The fields of a submit body: each `createJob` option and its wire name. Options that are job
 * fields keep the job field's wire name (`runAt` is `scheduled_at`); `delay` and `timeout` are
 * durations (`"30s"` or ms) that only a submit has.
 */
export const SUBMIT_FIELDS = {
  priority: JOB_FIELDS.priority.wire,
  delay: 'delay',
  runAt: JOB_FIELDS.runAt.wire,
  timeout: 'timeout',
  maxAttempts: JOB_FIELDS.maxAttempts.wire,
  idempotencyKey: JOB_FIELDS.idempotencyKey.wire,
  correlationId: JOB_FIELDS.correlationId.wire,
  traceparent: JOB_FIELDS.traceparent.wire,
  group: JOB_FIELDS.group.wire,
  tags: JOB_FIELDS.tags.wire,
  queue: JOB_FIELDS.queue.wire,
  dependsOn: JOB_FIELDS.dependsOn.wire,
  backoff: JOB_FIELDS.backoff.wire,
  retryOn: JOB_FIELDS.retryOn.wire,
  noRetryOn: JOB_FIELDS.noRetryOn.wire,
  unique: JOB_FIELDS.unique.wire,
  debounce: JOB_FIELDS.debounce.wire,
  ttl: 'ttl',
  expiresAt: JOB_FIELDS.expiresAt.wire,
} as const satisfies { readonly [K in SubmitField]-?: string };

/** The fields of a debounce in a submit body (`wait` and `max_wait` as `"5s"` or ms). */
export const DEBOUNCE_INPUT_FIELDS = {
  key: DEBOUNCE_FIELDS.key.wire,
  wait: 'wait',
  maxWait: 'max_wait',
} as const satisfies { readonly [K in keyof DebounceInput]-?: string };

/**
 * The fields of a backoff in a submit body: the stored ones (`initial_ms`), and `initial` and
 * `max` as durations (`"1s"` or ms).
 */
export const BACKOFF_INPUT_FIELDS = {
  strategy: BACKOFF_FIELDS.strategy.wire,
  initialMs: BACKOFF_FIELDS.initialMs.wire,
  maxMs: BACKOFF_FIELDS.maxMs.wire,
  initial: 'initial',
  max: 'max',
  multiplier: BACKOFF_FIELDS.multiplier.wire,
  jitter: BACKOFF_FIELDS.jitter.wire,
} as const satisfies { readonly [K in keyof BackoffInput]-?: string };

const ENTRIES = new WeakMap<object, readonly unknown[]>();

/**
 * `[field, how it travels]` pairs of a table, in its order. The tables never change, so each one's
 * pairs are made once (the wire reads them for every job it writes or reads).
 */
export function fieldEntries<T extends object>(
  table: T,
): readonly (readonly [keyof T & string, T[keyof T]])[] {
  let entries = ENTRIES.get(table);
  if (entries === undefined) {
    entries = Object.freeze(Object.entries(table).map((pair) => Object.freeze(pair)));
    ENTRIES.set(table, entries);
  }
  return entries as readonly (readonly [keyof T & string, T[keyof T]])[];
}
