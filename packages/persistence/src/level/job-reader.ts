import {
  ErrorCode,
  GqError,
  isUuid,
  type Job,
  type ListFilter,
  type ListPage,
} from '@gopherqueue/core';
import { MISS, type GroupCommit, type LevelDb } from './group-commit.js';
import type { JobCache } from './job-cache.js';
import { readJobRecord } from './job-record.js';
import { idOfIndexKey, keys, RANGE_END } from './level-keys.js';

const CHUNK = 256;
/** The fewest jobs read at once from an index chunk. */
const MIN_SLICE = 16;

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
      filter.dependsOn !== undefined
        ? keys.dependedOnBy(filter.dependsOn, '')
        : filter.state !== undefined
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
        // Every job: the records, newest first.
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
            const ids = chunk.map(idOfIndexKey);
            // Jobs are read a page's worth at a time, not a chunk's: a page of 50 reads about
            // 50 jobs, not 256 (a filter the index does not answer may need more slices).
            for (let at = 0; at < ids.length && found.length <= pageSize;) {
              const slice = ids.slice(at, at + Math.max(MIN_SLICE, pageSize + 1 - found.length));
              at += slice.length;
              for (const job of await this.#resolveIds(slice)) {
                if (job !== undefined && matches(job, filter)) found.push(job);
                if (found.length > pageSize) break;
              }
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

  /** The job records in id order (descending when `reverse`), in chunks of `[id, json]`. */
  async *#records(reverse: boolean, bound: { lt?: string }): AsyncGenerator<[string, string][]> {
    const prefix = keys.job('');
    const iterator = this.#db.iterator({
      gt: prefix,
      lt: prefix + (bound.lt ?? RANGE_END),
      reverse,
    });
    try {
      for (;;) {
        const chunk = await iterator.nextv(CHUNK);
        if (chunk.length === 0) return;
        yield chunk.map(([key, raw]): [string, string] => [key.slice(prefix.length), raw]);
      }
    } finally {
      await iterator.close();
    }
  }

  #memory(id: string): Job | null | typeof MISS {
    const held = this.#cache.get(id);
    if (held !== undefined) return held;
    return this.#commit.peek(keys.version(id)) as Job | null | typeof MISS;
  }

  /** Resolves `[id, json]` records through memory. */
  /** Lazily: a caller that stops early parses no further record. */
  *#resolveEntries(entries: [string, string][]): Generator<Job | undefined> {
    for (const [id, raw] of entries) {
      const memory = this.#memory(id);
      yield memory === MISS ? readJobRecord(raw, id) : (memory ?? undefined);
    }
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
        jobs[i] = memory !== MISS ? memory : (readJobRecord(raw, ids[i]) ?? null);
      });
    }
    return jobs.map((job) => (job === MISS || job === null ? undefined : job));
  }
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
    (filter.tag === undefined || job.tags[filter.tag.key] === filter.tag.value) &&
    (filter.dependsOn === undefined || job.dependsOn.includes(filter.dependsOn))
  );
}
