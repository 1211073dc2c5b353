import { isTerminal, type Job } from '@gopherqueue/core';
import type { ActiveSet } from './active-set.js';
import type { GroupCommit } from './group-commit.js';
import type { JobEncoder } from './job-encoder.js';
import type { CountBook } from './count-book.js';
import { finishedKey, keys } from './level-keys.js';

/** What one job write touches. */
export interface JobWriteTarget {
  commit: GroupCommit;
  counts: CountBook;
  active: ActiveSet;
  encoder: JobEncoder;
}

/**
 * Writes one job change from `before` to `after` (undefined for a new or a deleted job): the job
 * record (moved between `act!` and `job!` when it starts or stops being active), the index
 * entries that differ, the idempotency key, the counts and the in-memory active
 * set, all into the pending batch. The only place that keeps the indexes in step with the jobs.
 */
export function writeJob(
  target: JobWriteTarget,
  before: Job | undefined,
  after: Job | undefined,
): void {
  const { commit } = target;
  const id = after?.id ?? before?.id;
  if (id === undefined) return;
  const doneBefore = before !== undefined && isTerminal(before.state);
  const doneAfter = after !== undefined && isTerminal(after.state);
  if (after !== undefined) {
    commit.put(doneAfter ? keys.job(id) : keys.active(id), target.encoder.encode(after));
  }
  if (before !== undefined && (after === undefined || doneBefore !== doneAfter)) {
    commit.del(doneBefore ? keys.job(id) : keys.active(id));
  }
  if (doneBefore || doneAfter) {
    // Only finished jobs have `st!` and `fin!` entries.
    const stBefore = doneBefore ? keys.state(before.state, id) : undefined;
    const stAfter = doneAfter ? keys.state(after.state, id) : undefined;
    if (stBefore !== stAfter) {
      if (stBefore !== undefined) commit.del(stBefore);
      if (stAfter !== undefined) commit.put(stAfter, '');
    }
    const finBefore = doneBefore ? finishedKey(before) : undefined;
    const finAfter = doneAfter ? finishedKey(after) : undefined;
    if (finBefore !== finAfter) {
      if (finBefore !== undefined) commit.del(finBefore);
      if (finAfter !== undefined) commit.put(finAfter, '');
    }
  }
  if (before?.type !== after?.type) {
    if (before !== undefined) commit.del(keys.type(before.type, id));
    if (after !== undefined) commit.put(keys.type(after.type, id), '');
  }
  if (before?.queue !== after?.queue) {
    if (before !== undefined) commit.del(keys.queue(before.queue, id));
    if (after !== undefined) commit.put(keys.queue(after.queue, id), '');
  }
  const keyBefore = idemKeyOf(before);
  const keyAfter = idemKeyOf(after);
  if (keyBefore !== keyAfter) {
    if (keyBefore !== undefined) {
      commit.del(keyBefore);
      commit.cache(keyBefore, null);
    }
    if (keyAfter !== undefined) {
      commit.put(keyAfter, id);
      commit.cache(keyAfter, id);
    }
  }
  target.counts.move(before, after);
  target.active.set(before, after);
  if (after === undefined || doneAfter) commit.cache(keys.job(id), after ?? null);
}

/** The `qidem!` entry of a job with an idempotency key. */
function idemKeyOf(job: Job | undefined): string | undefined {
  return job?.idempotencyKey === undefined ? undefined : keys.idem(job.queue, job.idempotencyKey);
}
