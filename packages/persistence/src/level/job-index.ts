import { isTerminal, type Job } from '@gopherqueue/core';
import type { CountBook } from './count-book.js';
import type { GroupCommit } from './group-commit.js';
import type { JobCache } from './job-cache.js';
import type { JobEncoder } from './job-encoder.js';
import type { GroupBook } from './group-book.js';
import { expiryKey, finishedKey, keys, readyKey } from './level-keys.js';
import type { ReadyBuckets } from './ready-buckets.js';

/** What one job write touches. */
export interface JobWriteTarget {
  commit: GroupCommit;
  counts: CountBook;
  cache: JobCache;
  ready: ReadyBuckets;
  encoder: JobEncoder;
  groups: GroupBook;
}

/**
 * Writes one job change from `before` to `after` (undefined for a new or a deleted job): the job
 * record and state entry (staged, see {@link GroupCommit.stageJob}), the other index
 * entries that differ (ready, dependencies, type, queue, finish time, idempotency key), the
 * counts, and what memory holds, all into the pending batch. The new version also goes to the
 * commit's overlay, so a read that misses memory still finds it before it is on disk. The only
 * place that keeps the indexes in step with the jobs.
 */
export function writeJob(
  target: JobWriteTarget,
  before: Job | undefined,
  after: Job | undefined,
): void {
  const { commit, cache, ready } = target;
  const id = after?.id ?? before?.id;
  if (id === undefined) return;
  const doneBefore = before !== undefined && isTerminal(before.state);
  const doneAfter = after !== undefined && isTerminal(after.state);
  const { encoder } = target;
  // A claim's record is made when its batch is sealed, and not at all if the job ends (or
  // changes again) within that batch. Its fields are the stored job's and the store's own, so
  // serialising it cannot fail; any other version is serialised now, where a failure is the
  // caller's.
  const claim = before !== undefined && before.state !== 'running' && after?.state === 'running';
  commit.stageJob(
    id,
    before,
    after,
    after === undefined ? undefined : claim ? () => encoder.encode(after) : encoder.encode(after),
  );
  if (after === undefined) {
    // Its log lines go with it; the overlay's null tells an append in flight it is gone.
    commit.del(keys.jobLog(id));
    commit.cache(keys.jobLog(id), null);
  }
  if (doneBefore || doneAfter) {
    const finBefore = doneBefore ? finishedKey(before) : undefined;
    const finAfter = doneAfter ? finishedKey(after) : undefined;
    if (finBefore !== finAfter) {
      if (finBefore !== undefined) commit.del(finBefore);
      if (finAfter !== undefined) commit.put(finAfter, '');
    }
  }
  const readyBefore = before === undefined ? undefined : readyKey(before);
  const readyAfter = after === undefined ? undefined : readyKey(after);
  if (readyBefore !== readyAfter) {
    if (readyBefore !== undefined) {
      commit.del(readyBefore);
      commit.cache(readyBefore, null);
      ready.remove(before as Job, readyBefore);
    }
    if (readyAfter !== undefined) {
      commit.put(readyAfter, id);
      commit.cache(readyAfter, id);
    }
  }
  writeWaits(target, id, before, after);
  writeDependedOn(target, id, before, after);
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
  writeAdmission(commit, id, before, after);
  target.counts.move(before, after);
  // Memory holds running jobs and the heads of the ready buckets; everything else is on disk.
  let held = after !== undefined && after.state === 'running';
  if (!held && after !== undefined && readyAfter !== undefined) {
    held = readyAfter === readyBefore ? ready.holds(after) : ready.insert(after, readyAfter);
  }
  if (held) cache.hold(after as Job);
  else cache.drop(id);
  commit.cache(keys.version(id), after ?? null);
  // Last: a key that frees puts its parked jobs back into the ready buckets.
  target.groups.write(commit, before, after);
}

/**
 * The expiry entry, and, for a new job, the unique and debounce keys it takes (an older holder's
 * entry is overwritten: the submit checked that it no longer holds).
 */
function writeAdmission(
  commit: GroupCommit,
  id: string,
  before: Job | undefined,
  after: Job | undefined,
): void {
  const expBefore = before === undefined ? undefined : expiryKey(before);
  const expAfter = after === undefined ? undefined : expiryKey(after);
  if (expBefore !== expAfter) {
    if (expBefore !== undefined) commit.del(expBefore);
    if (expAfter !== undefined) commit.put(expAfter, '');
  }
  if (before !== undefined || after === undefined) return;
  for (const key of [
    after.unique === undefined ? undefined : keys.unique(after.queue, after.unique.key),
    after.debounce === undefined ? undefined : keys.debounce(after.queue, after.debounce.key),
  ]) {
    if (key === undefined) continue;
    commit.put(key, id);
    commit.cache(key, id);
  }
}

/** The `dep!` entries and the in-memory waits of a job that is or was pending. */
function writeWaits(
  target: JobWriteTarget,
  id: string,
  before: Job | undefined,
  after: Job | undefined,
): void {
  const waitedOn = before?.state === 'pending' ? before.waitingOn : [];
  const waitsOn = after?.state === 'pending' ? after.waitingOn : [];
  if (waitedOn.length === 0 && waitsOn.length === 0) return;
  const still = new Set(waitsOn);
  const had = new Set(waitedOn);
  for (const dep of waitedOn) if (!still.has(dep)) target.commit.del(keys.dependent(dep, id));
  for (const dep of waitsOn) if (!had.has(dep)) target.commit.put(keys.dependent(dep, id), '');
  target.cache.trackWaits(id, waitedOn, waitsOn);
}

/**
 * The `dby!` entries of a job: one per dependency it names, written when it is created and
 * removed when it is deleted (`dependsOn` never changes in between).
 */
function writeDependedOn(
  target: JobWriteTarget,
  id: string,
  before: Job | undefined,
  after: Job | undefined,
): void {
  if (before !== undefined && after !== undefined) return;
  if (after !== undefined) {
    for (const dep of after.dependsOn) target.commit.put(keys.dependedOnBy(dep, id), '');
  } else if (before !== undefined) {
    for (const dep of before.dependsOn) target.commit.del(keys.dependedOnBy(dep, id));
  }
}

/** The `qidem!` entry of a job with an idempotency key. */
function idemKeyOf(job: Job | undefined): string | undefined {
  return job?.idempotencyKey === undefined ? undefined : keys.idem(job.queue, job.idempotencyKey);
}
