import { isJobState, type Backoff, type Job } from '@gopherqueue/core';
import { mendJobLists } from '../job-lists.js';

/**
 * The backoff of a job record that holds none. Since layout 4 a record leaves out the fields at
 * their usual values, which a reader puts back: this backoff, and empty `dependsOn`, `waitingOn`,
 * `errors` (arrays) and `tags` (object). It is part of the layout, not the engine's default: if
 * `DEFAULT_BACKOFF` ever changes, records written before keep the backoff they were submitted
 * with, and only jobs whose backoff equals this one leave it out.
 */
export const RECORD_BACKOFF: Readonly<Backoff> = Object.freeze({
  strategy: 'exponential',
  initialMs: 1000,
  maxMs: 3_600_000,
  multiplier: 2,
  jitter: true,
});

/**
 * The enumerable fields of an object, its prototype's included: for a plain object, what
 * `Object.keys` counts, without making the array. Never fewer than the fields JSON writes, so a
 * count that differs only ever sends a job to the whole `JSON.stringify`.
 */
export function fieldCount(value: object): number {
  let count = 0;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- only counted
  for (const field in value) count++;
  return count;
}

/** True when a record may leave `backoff` out: it is {@link RECORD_BACKOFF}, field for field. */
export function isRecordBackoff(backoff: unknown): boolean {
  if (typeof backoff !== 'object' || backoff === null) return false;
  const b = backoff as Partial<Backoff>;
  return (
    b.strategy === RECORD_BACKOFF.strategy &&
    b.initialMs === RECORD_BACKOFF.initialMs &&
    b.maxMs === RECORD_BACKOFF.maxMs &&
    b.multiplier === RECORD_BACKOFF.multiplier &&
    b.jitter === RECORD_BACKOFF.jitter &&
    Object.getPrototypeOf(b) === Object.prototype &&
    fieldCount(b) === 5
  );
}

/**
 * A stored job record read back: the job, or undefined when the record does not parse or lacks
 * what the store relies on (an object with a string `id`, `type` and `queue`, a known `state`, and
 * a `priority` from 0 to 4, finite `attempt`, `runAt` and `seq`), or names another id than `id` when given. A
 * record is data from disk (a hand edit, a copy cut short, a bug of another version): a bad one
 * must cost only itself, never a listing, a claim or a restart, so every reader of records goes
 * through here and passes over what it refuses, leaving the record on disk as it is. Its lists
 * and tags are read by {@link mendJobLists} (a list or tags left out read as empty), a backoff left
 * out as {@link RECORD_BACKOFF}.
 */
export function readJobRecord(raw: string | undefined, id?: string): Job | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const job = value as Job;
  if (
    typeof job.id !== 'string' ||
    (id !== undefined && job.id !== id) ||
    typeof job.type !== 'string' ||
    typeof job.queue !== 'string' ||
    !isJobState(job.state) ||
    !Number.isInteger(job.priority) ||
    job.priority < 0 ||
    job.priority > 4 ||
    !Number.isFinite(job.attempt) ||
    !Number.isFinite(job.runAt) ||
    !Number.isFinite(job.seq)
  ) {
    return undefined;
  }
  if (job.backoff === undefined) job.backoff = { ...RECORD_BACKOFF };
  return mendJobLists(job);
}
