import { isTerminal, type Job } from '@gopherqueue/core';
import type { ActiveSet } from './active-set.js';
import type { GroupCommit } from './group-commit.js';
import type { CountBook } from './job-counts.js';
import { finishedKey, keys } from './level-keys.js';

/** What one job write touches. */
export interface JobWriteTarget {
  commit: GroupCommit;
  counts: CountBook;
  active: ActiveSet;
}

/**
 * Writes one job change from `before` to `after` (undefined for a new or a deleted job): the job
 * record, the index entries that differ, the idempotency key, the counts and the in-memory active
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
  const jobKey = keys.job(id);
  if (after !== undefined) commit.put(jobKey, JSON.stringify(after));
  else commit.del(jobKey);
  if (before?.state !== after?.state) {
    if (before !== undefined) commit.del(keys.state(before.state, id));
    if (after !== undefined) commit.put(keys.state(after.state, id), '');
  }
  if (before?.type !== after?.type) {
    if (before !== undefined) commit.del(keys.type(before.type, id));
    if (after !== undefined) commit.put(keys.type(after.type, id), '');
  }
  if (before?.queue !== after?.queue) {
    if (before !== undefined) commit.del(keys.queue(before.queue, id));
    if (after !== undefined) commit.put(keys.queue(after.queue, id), '');
  }
  const finBefore = before === undefined ? undefined : finishedKey(before);
  const finAfter = after === undefined ? undefined : finishedKey(after);
  if (finBefore !== finAfter) {
    if (finBefore !== undefined) commit.del(finBefore);
    if (finAfter !== undefined) commit.put(finAfter, '');
  }
  const keyBefore = before?.idempotencyKey;
  const keyAfter = after?.idempotencyKey;
  if (keyBefore !== keyAfter) {
    if (keyBefore !== undefined) {
      commit.del(keys.idem(keyBefore));
      commit.cache(keys.idem(keyBefore), null);
    }
    if (keyAfter !== undefined) {
      commit.put(keys.idem(keyAfter), id);
      commit.cache(keys.idem(keyAfter), id);
    }
  }
  target.counts.move(before, after);
  target.active.set(before, after);
  if (after === undefined || isTerminal(after.state)) commit.cache(jobKey, after ?? null);
}
