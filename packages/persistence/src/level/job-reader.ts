import {
  ErrorCode,
  GqError,
  isTerminal,
  isUuid,
  type Job,
  type JobState,
  type ListFilter,
  type ListPage,
} from '@gopherqueue/core';
import type { ActiveSet } from './active-set.js';
import type { AbstractIterator } from 'abstract-level';
import { MISS, type GroupCommit, type LevelDb } from './group-commit.js';
import { idOfIndexKey, keys, RANGE_END } from './level-keys.js';

const CHUNK = 256;

/**
 * The LevelStore's multi-job reads: `list` walks the narrowest index its filter allows, newest
 * first (jobs in an active state come from memory, where every active job is), and `scan` walks
 * every job. Both read after the writes made before them are on disk,
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
    if (filter.cursor !== undefined) filter = { ...filter, cursor: checkCursor(filter.cursor) };
    await this.#commit.commit();
    this.#guard();
    if (filter.state !== undefined && !isTerminal(filter.state)) {
      return page(this.#listActive(filter.state, filter, pageSize), pageSize);
    }
    const prefix =
      filter.state !== undefined
        ? keys.state(filter.state, '')
        : filter.type !== undefined
          ? keys.type(filter.type, '')
          : filter.queue !== undefined
            ? keys.queue(filter.queue, '')
            : undefined;
    const found: Job[] = [];
    const unpin = this.#commit.pin();
    try {
      if (prefix === undefined) {
        // Every job: the active and the finished records, merged newest first.
        const below = filter.cursor ?? RANGE_END;
        const walk = this.#records(true, { lt: below });
        try {
          for await (const chunk of walk) {
            for (const job of this.#resolveEntries(chunk)) {
              if (job !== undefined && matches(job, filter)) found.push(job);
              if (found.length > pageSize) break;
            }
            if (found.length > pageSize) break;
          }
        } finally {
          await walk.return(undefined);
        }
      } else {
        const range = { gt: prefix, lt: prefix + (filter.cursor ?? RANGE_END), reverse: true };
        const iterator = this.#db.keys(range);
        try {
          while (found.length <= pageSize) {
            const chunk = await iterator.nextv(Math.max(CHUNK, pageSize + 1));
            if (chunk.length === 0) break;
            for (const job of await this.#resolveIds(chunk.map(idOfIndexKey))) {
              if (job !== undefined && matches(job, filter)) found.push(job);
              if (found.length > pageSize) break;
            }
          }
        } finally {
          await iterator.close();
        }
      }
    } finally {
      unpin();
    }
    return page(found, pageSize);
  }

  /**
   * A page of jobs in an active state, from memory: every active job is there. One pass over the
   * jobs in that state keeps the `pageSize + 1` greatest ids below the cursor in a min-heap.
   */
  #listActive(state: JobState, filter: ListFilter, pageSize: number): Job[] {
    const cursor = filter.cursor;
    const size = pageSize + 1;
    const heap: Job[] = []; // min-heap by id: heap[0] is the smallest id kept
    for (const job of this.#active.inState(state)) {
      if ((cursor !== undefined && job.id >= cursor) || !matches(job, filter)) continue;
      if (heap.length < size) {
        heap.push(job);
        siftUp(heap, heap.length - 1);
      } else if (job.id > (heap[0] as Job).id) {
        heap[0] = job;
        siftDown(heap, 0);
      }
    }
    return heap.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  /** Every job in id order, resolved through memory. */
  async *scan(): AsyncGenerator<Job> {
    await this.#commit.commit();
    this.#guard();
    // One pin for the whole walk: the iterators read a snapshot taken now, so every change made
    // after it must stay visible in memory until the walk ends.
    const unpin = this.#commit.pin();
    const walk = this.#records(false, {});
    try {
      for await (const chunk of walk) {
        this.#guard();
        for (const job of this.#resolveEntries(chunk)) if (job !== undefined) yield job;
      }
    } finally {
      await walk.return(undefined);
      unpin();
    }
  }

  /**
   * The `act!` and `job!` records merged in id order (descending when `reverse`), in chunks of
   * `[id, json]`, optionally only ids below `lt`.
   */
  async *#records(reverse: boolean, bound: { lt?: string }): AsyncGenerator<[string, string][]> {
    // One snapshot for both ranges: a job moving between them is seen in exactly one.
    const snapshot = this.#db.snapshot();
    const open = (prefix: string) =>
      this.#db.iterator({ gt: prefix, lt: prefix + (bound.lt ?? RANGE_END), reverse, snapshot });
    const sources: Source[] = [open(keys.active('')), open(keys.job(''))].map((iterator) => ({
      iterator,
      buffer: [],
      at: 0,
      done: false,
    }));
    const ready = (source: Source) => source.at < source.buffer.length;
    const prefixLength = keys.job('').length; // `act!` and `job!` have the same length
    try {
      for (;;) {
        for (const source of sources) {
          if (source.done || source.at < source.buffer.length) continue;
          source.buffer = await source.iterator.nextv(CHUNK);
          source.at = 0;
          if (source.buffer.length === 0) source.done = true;
        }
        const [a, b] = sources as [Source, Source];
        if (a.done && b.done) return;
        // Each source now has entries buffered or is exhausted; merge until one needs a refill.
        const out: [string, string][] = [];
        while ((ready(a) || a.done) && (ready(b) || b.done) && out.length < CHUNK) {
          let take: Source;
          if (!ready(a)) take = b;
          else if (!ready(b)) take = a;
          else {
            const idA = (a.buffer[a.at] as [string, string])[0].slice(prefixLength);
            const idB = (b.buffer[b.at] as [string, string])[0].slice(prefixLength);
            take = idA > idB === reverse ? a : b;
          }
          if (!ready(take)) break;
          const [key, raw] = take.buffer[take.at++] as [string, string];
          out.push([key.slice(prefixLength), raw]);
        }
        if (out.length > 0) yield out;
      }
    } finally {
      for (const source of sources) await source.iterator.close();
      await snapshot.close();
    }
  }

  #memory(id: string): Job | null | typeof MISS {
    const active = this.#active.get(id);
    if (active !== undefined) return active;
    return this.#commit.peek(keys.job(id)) as Job | null | typeof MISS;
  }

  /** Resolves `[id, json]` records through memory. */
  #resolveEntries(entries: [string, string][]): (Job | undefined)[] {
    return entries.map(([id, raw]) => {
      const memory = this.#memory(id);
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

function siftUp(heap: Job[], at: number): void {
  const job = heap[at] as Job;
  while (at > 0) {
    const parent = (at - 1) >> 1;
    const above = heap[parent] as Job;
    if (above.id <= job.id) break;
    heap[at] = above;
    at = parent;
  }
  heap[at] = job;
}

function siftDown(heap: Job[], at: number): void {
  const job = heap[at] as Job;
  for (;;) {
    let child = 2 * at + 1;
    if (child >= heap.length) break;
    const right = heap[child + 1];
    if (right !== undefined && right.id < (heap[child] as Job).id) child++;
    const below = heap[child] as Job;
    if (below.id >= job.id) break;
    heap[at] = below;
    at = child;
  }
  heap[at] = job;
}

/** One side of a merged walk of records. */
interface Source {
  iterator: AbstractIterator<LevelDb, string, string>;
  buffer: [string, string][];
  at: number;
  done: boolean;
}

/**
 * A cursor of this store is the id of the last job of a page; anything else would silently
 * restart the listing, so it is refused.
 * @throws GqError GQ_INVALID_ARGUMENT naming the field `cursor`
 */
function checkCursor(cursor: string): string {
  if (!isUuid(cursor)) {
    throw new GqError(ErrorCode.INVALID_ARGUMENT, `cursor ${JSON.stringify(cursor)} is not valid`, {
      details: { field: 'cursor' },
    });
  }
  return cursor.toLowerCase();
}

/** The page's jobs and, when more may follow, the cursor after them. */
function page(found: Job[], pageSize: number): ListPage {
  if (found.length <= pageSize) return { jobs: found };
  const jobs = found.slice(0, pageSize);
  return { jobs, nextCursor: (jobs[jobs.length - 1] as Job).id };
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
