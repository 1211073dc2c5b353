import type { Job } from '@gopherqueue/core';

/**
 * The jobs a LevelStore holds in memory: the running ones (bounded by the work in flight) and
 * those at the head of a ready bucket (bounded by the head size per bucket), plus who waits on
 * whom among pending jobs (ids only). Every other job lives only on disk, so memory does not grow
 * with a backlog of waiting or delayed jobs, nor with history.
 */
export class JobCache {
  readonly #jobs = new Map<string, Job>();
  readonly #running = new Set<string>();
  /** dependency id -> ids of pending jobs waiting on it */
  readonly #dependents = new Map<string, Set<string>>();

  /** Jobs held in memory. */
  get size(): number {
    return this.#jobs.size;
  }

  /** Running jobs. */
  get runningCount(): number {
    return this.#running.size;
  }

  /** The job, when it is held in memory (running, or at the head of a ready bucket). */
  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  /** Holds the current version of a job (running, or at the head of a ready bucket). */
  hold(job: Job): void {
    this.#jobs.set(job.id, job);
    if (job.state === 'running') this.#running.add(job.id);
    else this.#running.delete(job.id);
  }

  /** Lets a job go from memory (it lives on disk, or no longer exists). */
  drop(id: string): void {
    this.#jobs.delete(id);
    this.#running.delete(id);
  }

  /** Records the waits of a pending job as they change from `before` to `after`. */
  trackWaits(id: string, before: readonly string[], after: readonly string[]): void {
    const still = new Set(after);
    for (const dep of before) if (!still.has(dep)) this.#unwait(dep, id);
    for (const dep of after) {
      let waiting = this.#dependents.get(dep);
      if (waiting === undefined) this.#dependents.set(dep, (waiting = new Set()));
      waiting.add(id);
    }
  }

  #unwait(dep: string, id: string): void {
    const waiting = this.#dependents.get(dep);
    if (waiting === undefined) return;
    waiting.delete(id);
    if (waiting.size === 0) this.#dependents.delete(dep);
  }

  /** Ids of pending jobs still waiting on `dep`. */
  dependentsOf(dep: string): string[] {
    const waiting = this.#dependents.get(dep);
    return waiting === undefined ? [] : [...waiting];
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
