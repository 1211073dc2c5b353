import {
  ErrorCode,
  GqError,
  isUuid,
  type Job,
  type ListFilter,
  type ListPage,
} from '@gopherqueue/core';
import type { AbstractIterator } from 'abstract-level';
import { MISS, type GroupCommit, type LevelDb } from './group-commit.js';
import type { JobCache } from './job-cache.js';
import { idOfIndexKey, keys, RANGE_END } from './level-keys.js';

const CHUNK = 256;

/**
 * The LevelStore's multi-job reads: `list` walks the narrowest index its filter allows, newest
 * first, and `scan` walks every job. Both read after the writes made before them are on disk, and
 * resolve each job through memory and the versions written since first, so they never return a
 * version older than one already acknowledged.
 */
export class JobReader {
  readonly #db: LevelDb;
  readonly #cache: JobCache;
  readonly #commit: GroupCommit;
  readonly #guard: () => void;

  constructor(db: LevelDb, cache: JobCache, commit: GroupCommit, guard: () => void) {
    this.#db = db;
    this.#cache = cache;
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
    const held = this.#cache.get(id);
    if (held !== undefined) return held;
    return this.#commit.peek(keys.version(id)) as Job | null | typeof MISS;
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
      // A job's record is at `act!` while it is active and at `job!` once finished.
      const raws = await this.#db.getMany(
        missing.flatMap((i) => [keys.active(ids[i] as string), keys.job(ids[i] as string)]),
      );
      this.#guard();
      missing.forEach((i, n) => {
        const memory = this.#memory(ids[i] as string);
        const raw = raws[2 * n] ?? raws[2 * n + 1];
        jobs[i] = memory !== MISS ? memory : raw === undefined ? null : (JSON.parse(raw) as Job);
      });
    }
    return jobs.map((job) => (job === MISS || job === null ? undefined : job));
  }
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
