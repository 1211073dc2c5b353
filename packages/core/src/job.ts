import type { JobDebounce, JobUnique } from './admission.js';
import { MAX_ERROR_NAME_LENGTH } from './create-job.js';
import { isBadText, wellFormedText } from './limits.js';
import type { Backoff } from './backoff.js';
import type { ErrorClass } from './errors.js';
import type { JobState } from './job-state.js';
import type { PriorityLevel } from './priority.js';

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One failed attempt, as recorded on the job. */
export interface JobError {
  /** The attempt that failed (1-based). */
  attempt: number;
  message: string;
  /** What kind of failure: a thrown error, a timeout, a lost lease, an unknown type, ... */
  errorClass: ErrorClass;
  /** The error's name (`TypeError`, `PermanentError`, ...), when it had one. */
  name?: string;
  stack?: string;
  /**
   * The wait before the next attempt that the error asked for (its `retryAfter`), in ms, when it
   * named one: it replaces the job's backoff for that retry.
   */
  retryAfterMs?: number;
  /** When it failed, ms since the epoch. */
  at: number;
}

/** One change of a job's state, as the store recorded it (see {@link Job.transitions}). */
export interface JobTransition {
  /** The state the job entered. */
  state: JobState;
  /** When, ms since the epoch. */
  at: number;
  /** The job's `attempt` after the change (a claim counts the attempt it starts). */
  attempt: number;
}

/**
 * Most transitions a job keeps: the first (its submit) and the latest `MAX_TRANSITIONS - 1`.
 * A job retried many times drops the ones between, so a record's size stays bounded.
 */
export const MAX_TRANSITIONS = 50;

/**
 * `list` with `entry` appended, as a new array: when it would hold more than
 * {@link MAX_TRANSITIONS}, the oldest after the first goes. An absent list (a job stored before
 * transitions were recorded) starts with `entry`.
 */
export function appendTransition(
  list: readonly JobTransition[] | undefined,
  entry: JobTransition,
): JobTransition[] {
  return appendBounded(list, entry, MAX_TRANSITIONS);
}

/**
 * `list` with `entry` appended, as a new array of at most `max`: past it, the oldest after the
 * first goes. A list that is not an array (a record written by hand may hold anything) starts
 * anew rather than fail the change.
 */
function appendBounded<T>(list: readonly T[] | undefined, entry: T, max: number): T[] {
  const held: readonly T[] = Array.isArray(list) ? list : [];
  const out =
    held.length >= max ? [...held.slice(0, 1), ...held.slice(held.length - max + 2)] : [...held];
  out.push(entry);
  return out;
}

/**
 * Most failed attempts a job keeps: the first and the latest `MAX_ERRORS - 1`, as with
 * {@link MAX_TRANSITIONS}. A job may allow 1,000 attempts; its record stays bounded.
 */
export const MAX_ERRORS = 50;

/** The longest error message a job keeps, in UTF-16 code units; the rest is cut (see {@link boundedError}). */
export const MAX_ERROR_MESSAGE_LENGTH = 8192;

/** The longest stack a job keeps, in UTF-16 code units. */
export const MAX_ERROR_STACK_LENGTH = 16_384;

/**
 * `text` cut to `max` code units when longer, ending with a note of how many were cut (the note
 * is within `max`). A cut never splits a surrogate pair.
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = (cut: number): string => `... [${cut} more characters]`;
  // The note's own length depends on how much is cut: size it for the longest possible count.
  let keep = Math.max(0, max - note(text.length).length);
  const last = text.charCodeAt(keep - 1);
  if (keep > 0 && last >= 0xd800 && last <= 0xdbff) keep--;
  return text.slice(0, keep) + note(text.length - keep);
}

/**
 * `error` with its message, stack and name cut to {@link MAX_ERROR_MESSAGE_LENGTH},
 * {@link MAX_ERROR_STACK_LENGTH} and {@link MAX_ERROR_NAME_LENGTH}, and any NUL or unpaired
 * surrogate in them replaced by U+FFFD: a handler may throw an error of any size and text, and
 * every store keeps what this leaves. The same object when nothing changes.
 */
export function boundedError<E extends { message: string; name?: string; stack?: string }>(
  error: E,
): E {
  const message = typeof error.message === 'string' ? error.message : String(error.message);
  const { name, stack } = error;
  if (
    message === error.message &&
    message.length <= MAX_ERROR_MESSAGE_LENGTH &&
    !isBadText(message) &&
    (typeof name !== 'string' || (name.length <= MAX_ERROR_NAME_LENGTH && !isBadText(name))) &&
    (typeof stack !== 'string' || (stack.length <= MAX_ERROR_STACK_LENGTH && !isBadText(stack)))
  ) {
    return error;
  }
  const out = {
    ...error,
    message: wellFormedText(truncateText(message, MAX_ERROR_MESSAGE_LENGTH)),
  };
  if (typeof name === 'string')
    out.name = wellFormedText(truncateText(name, MAX_ERROR_NAME_LENGTH));
  if (typeof stack === 'string') {
    out.stack = wellFormedText(truncateText(stack, MAX_ERROR_STACK_LENGTH));
  }
  return out;
}

/**
 * `list` with `entry` (bounded by {@link boundedError}) appended, as a new array: when it would
 * hold more than {@link MAX_ERRORS}, the oldest after the first goes.
 */
export function appendError(list: readonly JobError[] | undefined, entry: JobError): JobError[] {
  return appendBounded(list, boundedError(entry), MAX_ERRORS);
}

/**
 * A job as the store keeps it. Times are milliseconds since the Unix epoch; the HTTP API turns
 * them into RFC 3339 strings.
 */
export interface Job {
  /** UUIDv7: unique, sorts by creation. */
  id: string;
  /** Handler name. */
  type: string;
  /** Named queue. @defaultValue `'default'` */
  queue: string;
  payload: Json;
  /** 0 critical .. 4 bulk. @defaultValue 2 */
  priority: PriorityLevel;
  state: JobState;
  /** Runs started so far. */
  attempt: number;
  /** @defaultValue 3 */
  maxAttempts: number;
  /** Per attempt. @defaultValue 1_800_000 (30 min) */
  timeoutMs: number;
  backoff: Backoff;
  /** Not before this time: the delay, or the next retry. */
  runAt: number;
  /** Ids that must complete before this job runs. */
  dependsOn: string[];
  /** Ids in `dependsOn` that have not completed yet (the job is `pending` while any remain). */
  waitingOn: string[];
  idempotencyKey?: string;
  correlationId?: string;
  /** W3C `traceparent` of the span that submitted the job; each attempt's span joins its trace. */
  traceparent?: string;
  /**
   * The job's key for per-key flow control (a customer id, a tenant): a queue's
   * `groupConcurrency` and `ordered` settings count jobs per key. Absent: not limited by them.
   */
  group?: string;
  tags: Record<string, string>;
  /**
   * Retry only failures whose error name or class is listed; others fail the job at once.
   * @defaultValue absent (every failure may retry)
   */
  retryOn?: string[];
  /** Never retry failures whose error name or class is listed: they fail the job at once. */
  noRetryOn?: string[];
  /** A key no other job of the queue may hold while its window lasts (see `uniqueHolds`). */
  unique?: JobUnique;
  /** A key whose later submits, while this job waits, replace its payload and put it off. */
  debounce?: JobDebounce;
  /**
   * Not started by this time (ms since the epoch), the job is cancelled with `cancelReason`
   * `'expired'` and never runs.
   */
  expiresAt?: number;
  /** Last saved progress state of a long job, given to the next attempt. */
  checkpoint?: Json;
  /** 0..100 or a small object. */
  progress?: Json;
  progressMessage?: string;
  /** The handler's return value. */
  result?: Json;
  /** One entry per failed attempt. */
  errors: JobError[];
  /**
   * Every state the job entered, oldest first, from its submit on (bounded: see
   * {@link MAX_TRANSITIONS}). Absent on a job stored before the store recorded them.
   */
  transitions?: JobTransition[];
  /** Why the job was cancelled (`dependency_failed`, an operator's reason, ...). */
  cancelReason?: string;
  /** Order of submission within the store; breaks ties between equal priority and runAt. */
  seq: number;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** Fencing token of the current lease; set only while `running`. */
  leaseToken?: string;
  /** When the current lease lapses unless renewed; set only while `running`. */
  leaseExpiresAt?: number;
  /** Who holds the lease; set only while `running`. */
  workerId?: string;
}

/**
 * A validated job ready to submit, as {@link createJob} makes it. The store adds `state`,
 * `seq`, timestamps and the runtime fields.
 */
export interface JobSpec {
  id: string;
  type: string;
  queue: string;
  payload: Json;
  priority: PriorityLevel;
  maxAttempts: number;
  timeoutMs: number;
  backoff: Backoff;
  /** Absolute time, or undefined for "as soon as possible". */
  runAt?: number;
  dependsOn: string[];
  idempotencyKey?: string;
  correlationId?: string;
  /** W3C `traceparent` of the span that submitted the job; each attempt's span joins its trace. */
  traceparent?: string;
  /** See {@link Job.group}. */
  group?: string;
  tags: Record<string, string>;
  retryOn?: string[];
  noRetryOn?: string[];
  unique?: JobUnique;
  /** The store sets `runAt` of a debounced job to its clock's now + `waitMs`. */
  debounce?: JobDebounce;
  expiresAt?: number;
}
