import { isTerminal, type Job } from '@gopherqueue/core';
import type { ActiveSet } from './active-set.js';
import type { GroupCommit } from './group-commit.js';
import type { JobEncoder } from './job-json.js';
import type { CountBook } from './job-counts.js';
import { finishedKey, keys, recordKey, stateKey } from './level-keys.js';

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
  const recordBefore = before === undefined ? undefined : recordKey(before);
  const recordAfter = after === undefined ? undefined : recordKey(after);
  if (after !== undefined) commit.put(recordAfter as string, target.encoder.encode(after));
  if (recordBefore !== undefined && recordBefore !== recordAfter) commit.del(recordBefore);
  const stBefore = before === undefined ? undefined : stateKey(before);
  const stAfter = after === undefined ? undefined : stateKey(after);
  if (stBefore !== stAfter) {
    if (stBefore !== undefined) commit.del(stBefore);
    if (stAfter !== undefined) commit.put(stAfter, '');
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
  if (after === undefined || isTerminal(after.state)) commit.cache(keys.job(id), after ?? null);
}
