import { isTerminal, RUNNABLE_STATES, type Job, type JobState } from '@gopherqueue/core';
import { ReadyIndex, type ReadyFilter } from './ready-index.js';

/**
 * Every non-terminal job (pending, delayed, scheduled, running, retrying), held in memory by the
 * single owner of a LevelStore, with the structures claim, recovery and dependencies need:
 * the ready heaps, the running set, who waits on whom, and the idempotency keys of active jobs.
 * Finished jobs are not here; memory does not grow with them.
 */
export class ActiveSet {
  readonly #jobs = new Map<string, Job>();
  readonly #ready = new ReadyIndex();
  readonly #running = new Set<string>();
  /** active state -> ids of the jobs in it (lists of active states are served from here) */
  readonly #byState = new Map<JobState, Set<string>>();
  /** dependency id -> ids of pending jobs waiting on it */
  readonly #dependents = new Map<string, Set<string>>();
  /** `<queue>!<idempotency key>` -> id (queue names contain no `!`) */
  readonly #idem = new Map<string, string>();

  get size(): number {
    return this.#jobs.size;
  }

  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  /** The id of the active job holding an idempotency key in a queue. */
  idempotent(queue: string, key: string): string | undefined {
    return this.#idem.get(`${queue}!${key}`);
  }

  /** Replaces what is known of a job; `after` undefined or terminal drops it from the set. */
  set(before: Job | undefined, after: Job | undefined): void {
    if (before !== undefined) this.#untrack(before, after);
    if (after !== undefined && !isTerminal(after.state)) this.#track(before, after);
  }

  #untrack(job: Job, after: Job | undefined): void {
    const stays = after !== undefined && !isTerminal(after.state);
    if (!stays) this.#jobs.delete(job.id);
    if (!stays || after.state !== job.state) this.#byState.get(job.state)?.delete(job.id);
    const key = idemKey(job);
    if (key !== undefined && (!stays || idemKey(after) !== key)) {
      if (this.#idem.get(key) === job.id) this.#idem.delete(key);
    }
    if (RUNNABLE_STATES.has(job.state) && !(stays && sameReadySlot(job, after))) {
      this.#ready.remove(job.id);
    }
    if (job.state === 'running' && after?.state !== 'running') this.#running.delete(job.id);
    if (job.state === 'pending') {
      const still = new Set(after?.state === 'pending' ? after.waitingOn : []);
      for (const dep of job.waitingOn) if (!still.has(dep)) this.#unwait(dep, job.id);
    }
  }

  #track(before: Job | undefined, job: Job): void {
    this.#jobs.set(job.id, job);
    if (before?.state !== job.state) {
      let ids = this.#byState.get(job.state);
      if (ids === undefined) {
        ids = new Set();
        this.#byState.set(job.state, ids);
      }
      ids.add(job.id);
    }
    const key = idemKey(job);
    if (key !== undefined) this.#idem.set(key, job.id);
    if (RUNNABLE_STATES.has(job.state) && !sameReadySlot(before, job)) this.#ready.add(job);
    if (job.state === 'running') this.#running.add(job.id);
    if (job.state === 'pending') {
      for (const dep of job.waitingOn) {
        let waiting = this.#dependents.get(dep);
        if (waiting === undefined) {
          waiting = new Set();
          this.#dependents.set(dep, waiting);
        }
        waiting.add(job.id);
      }
    }
  }

  #unwait(dep: string, id: string): void {
    const waiting = this.#dependents.get(dep);
    if (waiting === undefined) return;
    waiting.delete(id);
    if (waiting.size === 0) this.#dependents.delete(dep);
  }

  /** The jobs in an active state, in no particular order. */
  inState(state: JobState): Job[] {
    const jobs: Job[] = [];
    for (const id of this.#byState.get(state) ?? []) {
      const job = this.#jobs.get(id);
      if (job !== undefined) jobs.push(job);
    }
    return jobs;
  }

  /** Ids of pending jobs still waiting on `dep`. */
  dependentsOf(dep: string): string[] {
    const waiting = this.#dependents.get(dep);
    return waiting === undefined ? [] : [...waiting];
  }

  /** Removes up to `limit` due runnable jobs from the ready heaps, in claim order. */
  takeReady(limit: number, filter: ReadyFilter): Job[] {
    const jobs: Job[] = [];
    for (const id of this.#ready.take(limit, filter)) {
      const job = this.#jobs.get(id);
      if (job !== undefined) jobs.push(job);
    }
    return jobs;
  }

  /** Due runnable jobs per type: see {@link ReadyIndex.countDue}. */
  countDue(
    now: number,
    exclude: ReadonlySet<string>,
    limit: number,
    maxTypes: number,
  ): { type: string; count: number }[] {
    return this.#ready.countDue(now, exclude, limit, maxTypes);
  }

  nextRunAt(paused: ReadonlySet<string>): number | undefined {
    return this.#ready.nextRunAt(paused);
  }

  /** Running jobs whose lease expired at or before `now`, oldest expiry first. */
  expired(now: number, limit: number): Job[] {
    const expired: Job[] = [];
    for (const id of this.#running) {
      const job = this.#jobs.get(id);
      if (job !== undefined && (job.leaseExpiresAt ?? 0) <= now) expired.push(job);
    }
    expired.sort((a, b) => (a.leaseExpiresAt ?? 0) - (b.leaseExpiresAt ?? 0) || a.seq - b.seq);
    return expired.slice(0, limit);
  }
}

/** The in-memory idempotency entry of a job: its queue and key, or undefined without a key. */
function idemKey(job: Job): string | undefined {
  return job.idempotencyKey === undefined ? undefined : `${job.queue}!${job.idempotencyKey}`;
}

/** True when a runnable job keeps its place in the ready heaps (same queue, type, order keys). */
function sameReadySlot(a: Job | undefined, b: Job | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    RUNNABLE_STATES.has(a.state) &&
    RUNNABLE_STATES.has(b.state) &&
    a.queue === b.queue &&
    a.type === b.type &&
    a.priority === b.priority &&
    a.runAt === b.runAt &&
    a.seq === b.seq
  );
}
