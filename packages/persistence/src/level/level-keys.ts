import { isTerminal, type Job, type JobState } from '@gopherqueue/core';

/**
 * The key layout of the LevelStore, in one database with string keys and values.
 *
 * - `act!<id>` -> an active (non-terminal) job as JSON. Every active job is also in memory, so
 *   no index of active jobs is kept on disk: a transition between active states (a claim, a
 *   heartbeat, a release) writes this one entry, and the store opens by reading this range.
 * - `job!<id>` -> a finished (terminal) job as JSON.
 * - `ty!<type>!<id>`, `qu!<queue>!<id>` -> '' for every job (secondary indexes, written once at
 *   submit: type and queue never change; ids are UUIDv7, so index order is creation order).
 * - `st!<state>!<id>` -> '' for finished jobs only (lists of active states come from memory).
 * - `fin!<state>!<finishedAt, 15 digits>!<id>` -> '' for finished jobs (purge by age).
 * - `qidem!<queue>!<key>` -> the id of the job holding an idempotency key in a queue (keys are
 *   scoped per queue; queue names contain no `!`). Directories written before keys were scoped
 *   hold `idem!<key>` instead, which the store rewrites once at open.
 * - `queue!<name>` -> `{"paused":true}` for paused queues.
 * - `meta!<key>` -> the MetaStore's JSON values.
 * - `sys!counts` -> the persisted {@link JobCounts}, `sys!seq` -> the last `seq` handed out.
 *
 * `!` sorts below every character a type, queue or id may contain, and `~` above, so
 * `[prefix, prefix + '~')` is exactly one index bucket.
 */
export const keys = {
  active: (id: string): string => `act!${id}`,
  job: (id: string): string => `job!${id}`,
  state: (state: JobState, id: string): string => `st!${state}!${id}`,
  type: (type: string, id: string): string => `ty!${type}!${id}`,
  queue: (queue: string, id: string): string => `qu!${queue}!${id}`,
  idem: (queue: string, key: string): string => `qidem!${queue}!${key}`,
  legacyIdem: (key: string): string => `idem!${key}`,
  queueRecord: (name: string): string => `queue!${name}`,
  meta: (key: string): string => `meta!${key}`,
  counts: 'sys!counts',
  seq: 'sys!seq',
} as const;

/** The end of a prefix range: above every key that starts with a bucket prefix. */
export const RANGE_END = '~';

/** The `fin!` key of a finished job, or undefined for an active one. */
export function finishedKey(job: Job): string | undefined {
  if (!isTerminal(job.state)) return undefined;
  return finishedPrefix(job.state) + padTime(job.finishedAt ?? 0) + '!' + job.id;
}

/** The prefix of the `fin!` bucket of one state. */
export function finishedPrefix(state: JobState): string {
  return `fin!${state}!`;
}

/** A time as 15 digits, so that keys sort by time. */
export function padTime(ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(15, '0');
}

/** The id at the end of an index key (`st!<state>!<id>`). */
export function idOfIndexKey(key: string): string {
  return key.slice(key.lastIndexOf('!') + 1);
}
