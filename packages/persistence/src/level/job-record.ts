import { isJobState, type Job } from '@gopherqueue/core';
import { mendJobLists } from '../job-lists.js';

/**
 * A stored job record read back: the job, or undefined when the record does not parse or lacks
 * what the store relies on (an object with a string `id`, `type` and `queue`, a known `state`, and
 * a `priority` from 0 to 4, finite `attempt`, `runAt` and `seq`), or names another id than `id` when given. A
 * record is data from disk (a hand edit, a copy cut short, a bug of another version): a bad one
 * must cost only itself, never a listing, a claim or a restart, so every reader of records goes
 * through here and passes over what it refuses, leaving the record on disk as it is. Its lists
 * and tags are read by {@link mendJobLists}.
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
  return mendJobLists(job);
}
