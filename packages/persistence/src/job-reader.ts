import type { Job, ListFilter, ListPage } from '@gopherqueue/core';
import type { ActiveSet } from './active-set.js';
import { MISS, type GroupCommit, type LevelDb } from './group-commit.js';
import { idOfIndexKey, keys, RANGE_END } from './level-keys.js';

const CHUNK = 256;

/**
 * The LevelStore's multi-job reads: `list` walks the narrowest index its filter allows, newest
 * first, and `scan` walks every job. Both read after the writes made before them are on disk,
 * and resolve each job through memory first, so they never return a version older than one
 * already acknowledged.
 */
export class JobReader {
  readonly #db: LevelDb;
  readonly #active: ActiveSet;
  readonly #commit: GroupCommit;
  readonly #guard: () => void;

  constructor(db: LevelDb, active: ActiveSet, commit: GroupCommit, guard: () => void) {
    this.#db = db;
    this.#active = active;
    this.#commit = commit;
    this.#guard = guard;
  }

  async list(filter: ListFilter): Promise<ListPage> {
    const limit = filter.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be an integer from 1 to 1000; got ${limit}`);
    }
    const pageSize = Math.min(limit, 1000);
    await this.#commit.commit();
    this.#guard();
    const prefix =
      filter.state !== undefined
        ? keys.state(filter.state, '')
        : filter.type !== undefined
          ? keys.type(filter.type, '')
          : filter.queue !== undefined
            ? keys.queue(filter.queue, '')
            : keys.job('');
    const byIndex = prefix !== keys.job('');
    const range = { gt: prefix, lt: prefix + (filter.cursor ?? RANGE_END), reverse: true };
    const found: Job[] = [];
    const unpin = this.#commit.pin();
    const iterator = byIndex ? this.#db.keys(range) : this.#db.iterator(range);
    try {
      while (found.length <= pageSize) {
        const chunk = await iterator.nextv(Math.max(CHUNK, pageSize + 1));
        if (chunk.length === 0) break;
        const jobs = byIndex
          ? await this.#resolveIds((chunk as string[]).map(idOfIndexKey))
          : this.#resolveEntries(chunk as [string, string][]);
        for (const job of jobs) {
          if (job !== undefined && matches(job, filter)) found.push(job);
          if (found.length > pageSize) break;
        }
      }
    } finally {
      await iterator.close();
      unpin();
    }
    if (found.length <= pageSize) return { jobs: found };
    const jobs = found.slice(0, pageSize);
    return { jobs, nextCursor: (jobs[jobs.length - 1] as Job).id };
  }

  /** Every job in id order, resolved through memory. */
  async *scan(): AsyncGenerator<Job> {
    await this.#commit.commit();
    this.#guard();
    // One pin for the whole walk: the iterator reads a snapshot taken now, so every change made
    // after it must stay visible in memory until the walk ends.
    const unpin = this.#commit.pin();
    const iterator = this.#db.iterator({ gt: keys.job(''), lt: keys.job(RANGE_END) });
    try {
      for (;;) {
        const chunk = await iterator.nextv(CHUNK);
        if (chunk.length === 0) break;
        this.#guard();
        for (const job of this.#resolveEntries(chunk)) if (job !== undefined) yield job;
      }
    } finally {
      await iterator.close();
      unpin();
    }
  }

  #memory(id: string): Job | null | typeof MISS {
    const active = this.#active.get(id);
    if (active !== undefined) return active;
    return this.#commit.peek(keys.job(id)) as Job | null | typeof MISS;
  }

  #resolveEntries(entries: [string, string][]): (Job | undefined)[] {
    return entries.map(([key, raw]) => {
      const memory = this.#memory(key.slice(keys.job('').length));
      if (memory === MISS) return JSON.parse(raw) as Job;
      return memory ?? undefined;
    });
  }

  async #resolveIds(ids: string[]): Promise<(Job | undefined)[]> {
    const jobs = ids.map((id) => this.#memory(id));
    const missing: number[] = [];
    jobs.forEach((job, i) => {
      if (job === MISS) missing.push(i);
    });
    if (missing.length > 0) {
      const raws = await this.#db.getMany(missing.map((i) => keys.job(ids[i] as string)));
      this.#guard();
      missing.forEach((i, n) => {
        const memory = this.#memory(ids[i] as string);
        const raw = raws[n];
        jobs[i] = memory !== MISS ? memory : raw === undefined ? null : (JSON.parse(raw) as Job);
      });
    }
    return jobs.map((job) => (job === MISS || job === null ? undefined : job));
  }
}

function matches(job: Job, filter: ListFilter): boolean {
  return (
    (filter.state === undefined || job.state === filter.state) &&
    (filter.type === undefined || job.type === filter.type) &&
    (filter.queue === undefined || job.queue === filter.queue) &&
    (filter.priority === undefined || job.priority === filter.priority) &&
    (filter.tag === undefined || job.tags[filter.tag.key] === filter.tag.value)
  );
}
