import {
  BACKOFF_FIELDS,
  BACKOFF_INPUT_FIELDS,
  DEBOUNCE_FIELDS,
  DEBOUNCE_INPUT_FIELDS,
  fieldEntries,
  JOB_ERROR_FIELDS,
  JOB_FIELDS,
  SUBMIT_FIELDS,
  TRANSITION_FIELDS,
  UNIQUE_FIELDS,
  type FieldKind,
  type WireField,
  type WireJob,
  type WireJobResult,
  type WireLeasedJob,
  type WireQueueStats,
  type WireWaitResult,
} from '@gopherqueue/client';
import {
  createJob,
  isTerminal,
  MAX_TIME_MS,
  MIN_TIME_MS,
  type BackoffInput,
  type Job,
  type JobCounts,
  type JobSpec,
  type JobState,
} from '@gopherqueue/core';
import { validationError } from './errors.js';
import type { SubmitBody } from './schemas.js';

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
  // The jobs of one answer mostly share their times (a batch is stamped once, a claim too), and
  // one job's fields alternate between a few of them (created, started, its lease's end): the
  // last TIME_SLOTS times written are kept.
  for (let i = 0; i < TIME_SLOTS; i++) {
    if (cachedTimes[i] === time) return cachedTexts[i] as string;
  }
  const text = new Date(time).toISOString();
  cachedTimes[nextSlot] = time;
  cachedTexts[nextSlot] = text;
  nextSlot = (nextSlot + 1) % TIME_SLOTS;
  return text;
}

const TIME_SLOTS = 4;
const cachedTimes: number[] = new Array<number>(TIME_SLOTS).fill(Number.NaN);
const cachedTexts: string[] = new Array<string>(TIME_SLOTS).fill('');
let nextSlot = 0;

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

/** An engine value of `kind` as the wire writes it: times as RFC 3339, nested records by table. */
function encode(kind: FieldKind, value: unknown): unknown {
  switch (kind) {
    case 'time':
      return rfc3339(value as number);
    case 'backoff':
      return encodeRecord(BACKOFF_FIELDS, value as object);
    case 'errors':
      return (value as object[]).map((error) => encodeRecord(JOB_ERROR_FIELDS, error));
    case 'transitions':
      // A stored list is the store's own writing, but one odd record must not break a listing.
      return Array.isArray(value)
        ? value
            .filter((entry) => typeof entry === 'object' && entry !== null)
            .map((entry: object) => encodeRecord(TRANSITION_FIELDS, entry))
        : [];
    case 'unique':
      return encodeRecord(UNIQUE_FIELDS, value as object);
    case 'debounce':
      return encodeRecord(DEBOUNCE_FIELDS, value as object);
    default:
      return value;
  }
}

/** The fields of `table` that `record` has, under their wire names, in the table's order. */
function encodeRecord(
  table: Readonly<Record<string, WireField>>,
  record: object,
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  // A stored record is data from disk: a nested value that is not an object reads as empty.
  if (typeof record !== 'object' || record === null) return out;
  for (const [field, spec] of fieldEntries(table)) {
    const value = (record as Record<string, unknown>)[field];
    if (value !== undefined) out[spec.wire] = encode(spec.kind, value);
  }
  return out;
}

/** The fields of {@link JOB_FIELDS} every caller sees, with their wire names. */
const SENT_FIELDS = fieldEntries(JOB_FIELDS).filter(([, spec]) => spec.sent === 'always');

/**
 * A stored job in the wire format (the fields of {@link JOB_FIELDS} sent to every caller, and
 * `last_error`), with the reason it waits when one is given. Never includes the lease token.
 */
export function toWireJob(job: Job, waitingReason?: string): WireJob {
  const out: Record<string, unknown> = {};
  for (const [field, spec] of SENT_FIELDS) {
    const value = job[field] ?? ('absent' in spec ? spec.absent : undefined);
    if (value !== undefined) out[spec.wire] = encode(spec.kind, value);
  }
  const lastError = job.errors.at(-1)?.message;
  if (lastError !== undefined) out.last_error = lastError;
  if (waitingReason !== undefined) out.waiting_reason = waitingReason;
  return out as unknown as WireJob;
}

/** A claimed job with its lease, for the remote worker that holds it. */
export function toWireLeasedJob(job: Job): WireLeasedJob {
  return {
    ...toWireJob(job),
    [JOB_FIELDS.leaseToken.wire]: job.leaseToken ?? '',
    [JOB_FIELDS.leaseExpiresAt.wire]: rfc3339(job.leaseExpiresAt ?? job.updatedAt),
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

/** Wire names of the submit fields, by the `createJob` option names its messages use. */
const WIRE_NAME_OF: Readonly<Record<string, string>> = SUBMIT_FIELDS;

/**
 * A validated submit body as a {@link JobSpec}, built by core's `createJob`: each field of
 * {@link SUBMIT_FIELDS} is read under its wire name (and each backoff field under its name in
 * {@link BACKOFF_INPUT_FIELDS}).
 * @param now - submission time, for `delay`.
 * @param prefix - field prefix for error messages (`jobs.3`).
 * @param traceparent - the request's valid `traceparent` header, kept when the body has none.
 * @throws HttpError `validation_error` naming the field `createJob` rejected.
 */
export function toJobSpec(
  body: SubmitBody,
  now: number,
  prefix?: string,
  traceparent?: string,
): JobSpec {
  const wire = body as Readonly<Record<string, unknown>>;
  const options: Record<string, unknown> = {};
  for (const [option, name] of fieldEntries(SUBMIT_FIELDS)) {
    const value = wire[name];
    if (value === undefined) continue;
    options[option] =
      option === 'backoff'
        ? decodeBackoff(value as Record<string, unknown>)
        : option === 'debounce'
          ? decodeDebounce(value as Record<string, unknown>)
          : value;
  }
  // The request's own trace context, unless the body names one.
  if (options.traceparent === undefined && traceparent !== undefined) {
    options.traceparent = traceparent;
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
    const mapped = first.startsWith('backoff.')
      ? first
      : first === 'debounce.maxWait'
        ? 'debounce.max_wait'
        : (WIRE_NAME_OF[first] ?? first);
    const field = prefix === undefined ? mapped : `${prefix}.${mapped}`;
    // The message names the option as createJob knows it; say it as the request did.
    const rest = err.message.slice(first.length).replace(/^:?\s*/, '');
    throw validationError(field, `${field}: ${rest}`);
  }
}

/** A submit body's debounce as `createJob`'s debounce option. */
function decodeDebounce(wire: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const debounce: Record<string, unknown> = {};
  for (const [field, name] of fieldEntries(DEBOUNCE_INPUT_FIELDS)) {
    if (wire[name] !== undefined) debounce[field] = wire[name];
  }
  return debounce;
}

/** A submit body's backoff as `createJob`'s backoff option. */
function decodeBackoff(wire: Readonly<Record<string, unknown>>): BackoffInput {
  const backoff: Record<string, unknown> = {};
  for (const [field, name] of fieldEntries(BACKOFF_INPUT_FIELDS)) {
    if (wire[name] !== undefined) backoff[field] = wire[name];
  }
  return backoff;
}
