import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  EXPIRED_REASON,
  GqError,
  isExpired,
  isTerminal,
  RUNNABLE_STATES,
  type ClaimOptions,
  type Clock,
  type FailInput,
  type HeartbeatInput,
  type Job,
  type JobSpec,
  type Json,
  type StoreChange,
  type SubmitResult,
} from '@gopherqueue/core';
import { invalidStateError, unknownJobError } from '../job-errors.js';
import type { GroupCommit, LevelDb } from './group-commit.js';
import type { CountBook } from './count-book.js';
import type { JobCache } from './job-cache.js';
import { writeJob, type JobWriteTarget } from './job-index.js';
import { JobEncoder } from './job-encoder.js';
import { JobLookup } from './job-lookup.js';
import { keys as levelKeys } from './level-keys.js';
import * as next from '../job-versions.js';
import type { GroupBook } from './group-book.js';
import type { LevelGroups } from './level-groups.js';
import type { QueueLimiter } from './queue-limiter.js';
import type { ReadyBuckets } from './ready-buckets.js';
import { planSubmit } from './submit-plan.js';
import { checkReleaseRunAt, checkRestoredTimes } from '../time-bounds.js';

/** What {@link JobMutations} works on. */
export interface JobMutationsContext {
  db: LevelDb;
  cache: JobCache;
  ready: ReadyBuckets;
  counts: CountBook;
  commit: GroupCommit;
  clock: Clock;
  paused: ReadonlySet<string>;
  limiter: QueueLimiter;
  book: GroupBook;
  groups: LevelGroups;
  /** Throws when the store is closed or failed. */
  guard: () => void;
  /** Told when a write makes a job runnable with its run-at come, before the write is durable. */
  runnable: () => void;
}

/**
 * The LevelStore's state machine: every job transition, checked and applied synchronously
 * against memory (so concurrent callers cannot both win a compare-and-set) and appended to the
 * pending write batch. Results come back as soon as they are decided; the store awaits the batch.
 * A step that needs a finished job reads it first, then checks and applies with no await between.
 */
export class JobMutations {
  readonly #ctx: JobMutationsContext;
  readonly #target: JobWriteTarget;
  /** The last `seq` handed out. */
  seq = 0;
  /** The greatest job id stored: a new id above it needs no existence check on disk. */
  maxId = '';

  constructor(context: JobMutationsContext) {
    this.#ctx = context;
    const { commit, counts, cache, ready, book } = context;
    this.#target = { commit, counts, cache, ready, encoder: new JobEncoder(), groups: book };
  }

  #step<T>(step: (lookup: JobLookup) => T): T | Promise<T> {
    const { db, cache, commit, guard } = this.#ctx;
    return JobLookup.run(db, cache, commit, step, guard);
  }

  #write(before: Job | undefined, after: Job | undefined, kind: StoreChange['kind']): void {
    writeJob(this.#target, before, after);
    const job = after ?? before;
    if (job === undefined) return;
    const change: StoreChange = {
      kind,
      id: job.id,
      state: job.state,
      queue: job.queue,
      runAt: job.runAt,
      job,
    };
    if (before !== undefined && kind !== 'deleted') change.previous = before.state;
    this.#ctx.commit.change(change);
    // `updatedAt` is the step's clock: a run-at not after it is due now.
    if (after !== undefined && RUNNABLE_STATES.has(after.state) && after.runAt <= after.updatedAt) {
      this.#ctx.runnable();
    }
  }

  /** The jobs now, in `ids`' order (reading finished ones from disk). */
  read(ids: readonly string[]): (Job | undefined)[] | Promise<(Job | undefined)[]> {
    return this.#step((lookup) => {
      const jobs = ids.map((id) => lookup.job(id));
      lookup.done();
      return jobs;
    });
  }

  /**
   * Stores the specs. `alongside`, when given, runs right after the jobs' writes in the same
   * synchronous step, so what it writes joins the same batch as the jobs.
   */
  submit(
    specs: readonly JobSpec[],
    alongside?: () => void,
  ): SubmitResult[] | Promise<SubmitResult[]> {
    return this.#step((lookup) => {
      const now = this.#ctx.clock.now();
      const plan = planSubmit(specs, lookup, { now, seq: this.seq, maxId: this.maxId });
      for (const { before, after } of plan.updated) this.#write(before, after, 'updated');
      for (const job of plan.created) this.#write(undefined, job, 'created');
      this.seq = plan.seq;
      if (plan.maxId > this.maxId) this.maxId = plan.maxId;
      alongside?.();
      return plan.results;
    });
  }

  /**
   * Takes up to `limit` runnable jobs in claim order and leases them. Synchronous while the heads
   * of the ready buckets it needs are in memory; otherwise it reads them, then goes on.
   */
  claim(options: ClaimOptions): Job[] | Promise<Job[]> {
    const claimed: Job[] = [];
    const step = (): Job[] | Promise<Job[]> => {
      const now = this.#ctx.clock.now();
      const { limiter } = this.#ctx;
      const quota = limiter.quota(now);
      const taken = this.#ctx.ready.take(options.limit - claimed.length, {
        now,
        paused: this.#ctx.paused,
        types: options.types,
        queues: options.queues,
        quota,
        aging: limiter.aging ? (queue) => limiter.agingOf(queue) : undefined,
        gate: this.#ctx.groups.gate(),
        unlimitedOnly: options.ahead,
      });
      const started = quota === undefined ? undefined : new Map<string, number>();
      let expired = false;
      for (const id of taken.ids) {
        // The heads of the buckets are always held in memory.
        const job = this.#ctx.cache.get(id) as Job;
        if (isExpired(job, now)) {
          // Never started past its expiry: cancelled instead, and the claim takes the next one.
          this.#write(job, next.cancelledJob(job, now, EXPIRED_REASON), 'updated');
          if (this.#ctx.cache.dependentsOf(id).length > 0) this.#cancelDependentsSoon(id);
          expired = true;
          continue;
        }
        const after = next.claimedJob(job, now, options, randomUUID());
        this.#write(job, after, 'updated');
        claimed.push(after);
        if (started !== undefined && quota?.has(job.queue) === true) {
          started.set(job.queue, (started.get(job.queue) ?? 0) + 1);
        }
      }
      for (const [queue, count] of started ?? []) this.#ctx.limiter.record(queue, now, count);
      if (expired && taken.blocked === undefined && claimed.length < options.limit) return step();
      if (taken.blocked === undefined || claimed.length >= options.limit) return claimed;
      return taken.blocked.then(() => {
        this.#ctx.guard();
        return step();
      });
    };
    return step();
  }

  /**
   * Runs `apply` on a running job whose lease `token` holds and, when `expiredBy` is given, whose
   * lease expires at or before it (checked in the same synchronous step). `apply` may look more
   * jobs up; it calls `lookup.done()` before its first write.
   */
  #leased(
    id: string,
    token: string,
    apply: (job: Job, now: number, lookup: JobLookup) => Job,
    expiredBy?: number,
  ): Job | Promise<Job> {
    return this.#step((lookup) => {
      const job = lookup.job(id);
      if (job === undefined) throw lookup.fail(unknownJobError(id));
      if (job.state !== 'running' || job.leaseToken !== token) {
        throw lookup.fail(
          new GqError(ErrorCode.LEASE_LOST, `job ${id} is no longer leased with this token`, {
            details: { id, state: job.state },
          }),
        );
      }
      const expiresAt = job.leaseExpiresAt ?? Number.POSITIVE_INFINITY;
      if (expiredBy !== undefined && expiresAt > expiredBy) {
        throw lookup.fail(
          new GqError(
            ErrorCode.LEASE_LOST,
            `job ${id}'s lease is alive until ${expiresAt}, after ${expiredBy}`,
            { details: { id, state: job.state, leaseExpiresAt: expiresAt } },
          ),
        );
      }
      return apply(job, this.#ctx.clock.now(), lookup);
    });
  }

  heartbeat(id: string, token: string, input: HeartbeatInput): Job | Promise<Job> {
    return this.#leased(id, token, (job, now) => {
      const after = next.heartbeatJob(job, now, input);
      this.#write(job, after, input.progress !== undefined ? 'progress' : 'updated');
      return after;
    });
  }

  complete(id: string, token: string, result: Json): Job | Promise<Job> {
    return this.#leased(id, token, (job, now, lookup) => {
      const dependents = this.#ctx.cache.dependentsOf(id).map((waiting) => lookup.job(waiting));
      lookup.done();
      const after = next.completedJob(job, now, result);
      this.#write(job, after, 'updated');
      for (const dependent of dependents) {
        if (dependent === undefined || dependent.state !== 'pending') continue;
        this.#write(dependent, next.dependencyMetJob(dependent, id, now), 'updated');
      }
      return after;
    });
  }

  fail(id: string, token: string, input: FailInput): Job | Promise<Job> {
    return this.#leased(
      id,
      token,
      (job, now, lookup) => {
        const after = next.failedJob(job, now, input);
        const waiting = isTerminal(after.state) ? this.#waitingOn(lookup, id) : [];
        lookup.done();
        this.#write(job, after, 'updated');
        this.#cancelWaiting(waiting, now);
        return after;
      },
      input.leaseExpiredBy,
    );
  }

  release(id: string, token: string, runAt: number | undefined): Job | Promise<Job> {
    checkReleaseRunAt(id, runAt, this.#ctx.clock.now());
    return this.#leased(id, token, (job, now) => {
      const after = next.releasedJob(job, now, runAt ?? now);
      this.#write(job, after, 'updated');
      return after;
    });
  }

  /**
   * Cancels, as a cancel does, the jobs waiting on `id`, which a claim found expired (a claim
   * cannot read them from disk in its synchronous step): queued at once, written right after.
   */
  #cancelDependentsSoon(id: string): void {
    const done = this.#step((lookup) => {
      const waiting = this.#waitingOn(lookup, id);
      lookup.done();
      this.#cancelWaiting(waiting, this.#ctx.clock.now());
    });
    if (done instanceof Promise) done.catch(() => undefined);
  }

  /**
   * Cancels as `expired` those of `ids` (read from the expiry index) that are still never
   * started past their `expiresAt`, with their waiting dependents, and returns them.
   */
  expire(ids: readonly string[]): Job[] | Promise<Job[]> {
    return this.#step((lookup) => {
      const now = this.#ctx.clock.now();
      const jobs = ids.map((id) => lookup.job(id));
      const found = jobs.filter((job): job is Job => job !== undefined && isExpired(job, now));
      const waiting = found.map((job) => this.#waitingOn(lookup, job.id));
      lookup.done();
      return found.map((job, i) => {
        const after = next.cancelledJob(job, now, EXPIRED_REASON);
        this.#write(job, after, 'updated');
        this.#cancelWaiting(waiting[i] ?? [], now);
        return after;
      });
    });
  }

  /** Every pending job still waiting on `id`, transitively, as it is now. */
  #waitingOn(lookup: JobLookup, id: string): Job[] {
    const found: Job[] = [];
    const seen = new Set([id]);
    const queue = [id];
    for (let dep = queue.pop(); dep !== undefined; dep = queue.pop()) {
      for (const waiting of this.#ctx.cache.dependentsOf(dep)) {
        if (seen.has(waiting)) continue;
        seen.add(waiting);
        const job = lookup.job(waiting);
        if (job !== undefined) found.push(job);
        queue.push(waiting);
      }
    }
    return found;
  }

  /** Cancels the jobs {@link #waitingOn} found, with reason `dependency_failed`. */
  #cancelWaiting(jobs: readonly Job[], now: number): void {
    for (const job of jobs) {
      if (job.state !== 'pending') continue;
      this.#write(job, next.cancelledJob(job, now, 'dependency_failed'), 'updated');
    }
  }

  cancel(id: string, reason: string | undefined): Job | Promise<Job> {
    return this.#step((lookup) => {
      const job = lookup.job(id);
      if (job === undefined) throw lookup.fail(unknownJobError(id));
      if (isTerminal(job.state)) throw lookup.fail(invalidStateError(id, job.state, 'cancel'));
      const waiting = this.#waitingOn(lookup, id);
      lookup.done();
      const now = this.#ctx.clock.now();
      const after = next.cancelledJob(job, now, reason);
      this.#write(job, after, 'updated');
      this.#cancelWaiting(waiting, now);
      return after;
    });
  }

  retry(id: string, resetAttempts: boolean): Job | Promise<Job> {
    return this.#step((lookup) => {
      const job = lookup.job(id);
      if (job === undefined) throw lookup.fail(unknownJobError(id));
      if (job.state !== 'failed' && job.state !== 'dead_letter' && job.state !== 'cancelled') {
        throw lookup.fail(invalidStateError(id, job.state, 'retry'));
      }
      const deps = job.dependsOn.map((dep) => lookup.job(dep));
      lookup.done();
      const waitingOn = next.retryWaitingOn(job, deps);
      const after = next.retriedJob(job, this.#ctx.clock.now(), resetAttempts, waitingOn);
      this.#write(job, after, 'updated');
      return after;
    });
  }

  delete(id: string): Job | Promise<Job> {
    return this.#step((lookup) => {
      const job = lookup.job(id);
      if (job === undefined) throw lookup.fail(unknownJobError(id));
      if (job.state === 'running') throw lookup.fail(invalidStateError(id, job.state, 'delete'));
      const waiting = this.#waitingOn(lookup, id);
      lookup.done();
      this.#write(job, undefined, 'deleted');
      this.#cancelWaiting(waiting, this.#ctx.clock.now());
      return job;
    });
  }

  /** Deletes those of `ids` that are still finished in one of `states` before `finishedBefore`. */
  purge(
    ids: readonly string[],
    states: ReadonlySet<string>,
    finishedBefore: number,
  ): number | Promise<number> {
    return this.#step((lookup) => {
      const jobs = ids.map((id) => lookup.job(id));
      lookup.done();
      let purged = 0;
      for (const job of jobs) {
        if (job === undefined || !states.has(job.state)) continue;
        if ((job.finishedAt ?? 0) >= finishedBefore) continue;
        this.#write(job, undefined, 'deleted');
        purged++;
      }
      return purged;
    });
  }

  /**
   * Writes the jobs not stored yet with fresh seqs, in the order given, and returns how many: a
   * stored id, a key another job holds in its queue, or a repeated id is left out.
   */
  restore(jobs: readonly Job[]): number | Promise<number> {
    checkRestoredTimes(jobs, this.#ctx.clock.now());
    return this.#step((lookup) => {
      const stored = jobs.map((job) => lookup.job(job.id));
      const holders = jobs.map((job) =>
        job.idempotencyKey === undefined ? undefined : lookup.idem(job.queue, job.idempotencyKey),
      );
      // What each restored pending job waits on now: a stored job as it is, else one restored
      // with it.
      const given = new Map(jobs.map((job) => [job.id, job]));
      const deps = jobs.map((job) =>
        job.state === 'pending'
          ? job.waitingOn.map((dep) => lookup.job(dep) ?? given.get(dep))
          : [],
      );
      // Unique and debounce keys a stored job took stay with it (decided at the next submit).
      const taken = new Map<string, string>();
      for (const key of jobs.flatMap(admissionKeys)) {
        const id = lookup.pointer(key);
        if (id !== undefined) taken.set(key, id);
      }
      lookup.done();
      const written = new Set<string>();
      const keys = new Set<string>();
      let seq = this.seq;
      jobs.forEach((job, i) => {
        const key =
          job.idempotencyKey === undefined ? undefined : `${job.queue}!${job.idempotencyKey}`;
        if (stored[i] !== undefined || written.has(job.id)) return;
        if (key !== undefined && (holders[i] !== undefined || keys.has(key))) return;
        const now = this.#ctx.clock.now();
        this.#write(
          undefined,
          { ...next.restoredJob(job, deps[i] ?? [], now), seq: ++seq },
          'created',
        );
        for (const admission of admissionKeys(job)) {
          const holder = taken.get(admission);
          if (holder === undefined) {
            taken.set(admission, job.id);
          } else {
            this.#ctx.commit.put(admission, holder);
            this.#ctx.commit.cache(admission, holder);
          }
        }
        written.add(job.id);
        if (key !== undefined) keys.add(key);
        if (job.id > this.maxId) this.maxId = job.id;
      });
      this.seq = seq;
      return written.size;
    });
  }
}

/** The `quniq!` and `qdeb!` keys a job takes. */
function admissionKeys(job: Job): string[] {
  const out: string[] = [];
  if (job.unique !== undefined) out.push(levelKeys.unique(job.queue, job.unique.key));
  if (job.debounce !== undefined) out.push(levelKeys.debounce(job.queue, job.debounce.key));
  return out;
}
