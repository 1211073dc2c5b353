import {
  isTerminal,
  neverStarted,
  RUNNABLE_STATES,
  type Job,
  type JobState,
} from '@gopherqueue/core';

/**
 * The key layout of the LevelStore (format 3), in one database with string keys and values.
 *
 * - `job!<id>` -> the job as JSON, in every state. (Format 1 kept active jobs at `act!<id>`.)
 * - `st!<state>!<id>` -> '' for every job, in every state (lists by state read this index).
 * - `rdy!<queue>!<type>!<priority>!<runAt, 15 digits>!<seq, 15 digits>` -> the id of a runnable
 *   (scheduled, delayed or retrying) job: the ready index. One bucket per queue, type and
 *   priority, in claim order within the bucket, so a claim reads the head of each bucket it may
 *   take from, and waiting jobs need no memory at all.
 * - `dep!<dependency id>!<id>` -> '' for every pending job still waiting on that dependency.
 * - `dby!<dependency id>!<id>` -> '' for every job whose `dependsOn` lists that dependency, for
 *   as long as the job is stored: what lists a job's dependents reads (format 3; an older
 *   directory gets it at open).
 * - `ty!<type>!<id>`, `qu!<queue>!<id>` -> '' for every job (secondary indexes, written once at
 *   submit: type and queue never change; ids are UUIDv7, so index order is creation order).
 * - `fin!<state>!<finishedAt, 15 digits>!<id>` -> '' for finished jobs (purge by age).
 * - `qidem!<queue>!<key>` -> the id of the job holding an idempotency key in a queue (keys are
 *   scoped per queue; queue names contain no `!`). Directories written before keys were scoped
 *   hold `idem!<key>` instead, which the store rewrites once at open.
 * - `quniq!<queue>!<key>`, `qdeb!<queue>!<key>` -> the id of the job that last took a unique or
 *   debounce key in a queue; whether it still holds the key is decided from that job (its state,
 *   its age), so the entry is never rewritten as the job moves. An entry whose job is gone holds
 *   nothing.
 * - `exp!<expiresAt, 15 digits>!<id>` -> '' for every job with an `expiresAt` never started and
 *   not finished: what `expire` reads, in expiry order.
 * - `queue!<name>` -> `{"paused":true}` for paused queues.
 * - `qset!<name>` -> `{"concurrency":N|null,"rate":{"limit":N,"periodMs":P}|null}` for queues
 *   with a limit (a key of its own, so a directory with limits still opens in a version without
 *   them, as unlimited queues).
 * - `meta!<key>` -> the MetaStore's JSON values.
 * - `jlog!<id>` -> the log lines kept of a job, `{ "<attempt>": AttemptLog }` (deleted with
 *   the job, in the same batch).
 * - `sys!counts` -> the persisted {@link JobCounts}, `sys!seq` -> the last `seq` handed out,
 *   `sys!format` -> the layout's version (absent before format 2).
 *
 * `!` sorts below every character a type, queue or id may contain, and `~` above, so
 * `[prefix, prefix + '~')` is exactly one index bucket.
 */
export const keys = {
  legacyActive: (id: string): string => `act!${id}`,
  job: (id: string): string => `job!${id}`,
  state: (state: JobState, id: string): string => `st!${state}!${id}`,
  type: (type: string, id: string): string => `ty!${type}!${id}`,
  queue: (queue: string, id: string): string => `qu!${queue}!${id}`,
  dependent: (dependency: string, id: string): string => `${DEPENDENT_PREFIX}${dependency}!${id}`,
  dependedOnBy: (dependency: string, id: string): string => `dby!${dependency}!${id}`,
  idem: (queue: string, key: string): string => `qidem!${queue}!${key}`,
  legacyIdem: (key: string): string => `idem!${key}`,
  unique: (queue: string, key: string): string => `quniq!${queue}!${key}`,
  debounce: (queue: string, key: string): string => `qdeb!${queue}!${key}`,
  queueRecord: (name: string): string => `queue!${name}`,
  queueLimits: (name: string): string => `qset!${name}`,
  meta: (key: string): string => `meta!${key}`,
  jobLog: (id: string): string => `jlog!${id}`,
  counts: 'sys!counts',
  seq: 'sys!seq',
  format: 'sys!format',
  /**
   * Not a database key: the group commit's overlay holds a job's latest version under it (or
   * null once deleted) until the write that made it is readable from disk.
   */
  version: (id: string): string => `jv!${id}`,
} as const;

/**
 * The layout this code writes; a directory without `sys!format` is format 1. Format 4: job
 * records leave out the fields at their usual values (see `RECORD_BACKOFF`).
 */
export const FORMAT = 4;

/** The end of a prefix range: above every key that starts with a bucket prefix. */
export const RANGE_END = '~';

/** The prefix of the `dep!` index. */
export const DEPENDENT_PREFIX = 'dep!';

/** The prefix of the ready index. */
export const READY_PREFIX = 'rdy!';

/** The prefix of one bucket of the ready index (a queue, a type and a priority). */
export function bucketPrefix(queue: string, type: string, priority: number): string {
  return `${READY_PREFIX}${queue}!${type}!${priority}!`;
}

/** The ready-index key of a runnable job, or undefined for a job in any other state. */
export function readyKey(job: Job): string | undefined {
  if (!RUNNABLE_STATES.has(job.state)) return undefined;
  return (
    bucketPrefix(job.queue, job.type, job.priority) + padTime(job.runAt) + '!' + padSeq(job.seq)
  );
}

/** The prefix of the expiry index. */
export const EXPIRY_PREFIX = 'exp!';

/** The `exp!` key of a job that may still expire, or undefined. */
export function expiryKey(job: Job): string | undefined {
  if (job.expiresAt === undefined || !neverStarted(job)) return undefined;
  return EXPIRY_PREFIX + padTime(job.expiresAt) + '!' + job.id;
}

/** The `fin!` key of a finished job, or undefined for an active one. */
export function finishedKey(job: Job): string | undefined {
  if (!isTerminal(job.state)) return undefined;
  return finishedPrefix(job.state) + padTime(job.finishedAt ?? 0) + '!' + job.id;
}

/** The prefix of the `fin!` bucket of one state. */
export function finishedPrefix(state: JobState): string {
  return `fin!${state}!`;
}

const PAD_MAX = 999_999_999_999_999;

/**
 * A number as 15 digits, so that keys sort by it: below 0 (or not a number) as 0, above 15 digits
 * as the largest, so an odd stored value still makes a key in order.
 */
function pad15(n: number): string {
  const clamped = Number.isFinite(n) ? Math.min(PAD_MAX, Math.max(0, Math.floor(n))) : 0;
  return String(clamped).padStart(15, '0');
}

/** A time as 15 digits, so that keys sort by time (times before the epoch sort as 0). */
export function padTime(ms: number): string {
  return pad15(ms);
}

/** A sequence number as 15 digits. */
export function padSeq(seq: number): string {
  return pad15(seq);
}

/** The id at the end of an index key (`st!<state>!<id>`). */
export function idOfIndexKey(key: string): string {
  return key.slice(key.lastIndexOf('!') + 1);
}
