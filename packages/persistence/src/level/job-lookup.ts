import type { Job } from '@gopherqueue/core';
import { MISS, type GroupCommit, type LevelDb } from './group-commit.js';
import type { JobCache } from './job-cache.js';
import { readJobRecord } from './job-record.js';
import { keys } from './level-keys.js';

/** Thrown by a {@link JobLookup} step that needs values from disk it does not have yet. */
class NeedRead extends Error {
  readonly keys: string[];
  constructor(missing: string[]) {
    super('needs a read');
    this.keys = missing;
  }
}

/**
 * Resolves jobs and idempotency keys as they are now: memory first (running jobs and the heads
 * of the ready buckets), then versions written but maybe not yet readable, then records fetched
 * from disk. A step that meets a key it has not fetched records it and, at
 * {@link JobLookup.done}, asks to be run again once the keys are read, so a step checks and
 * applies synchronously, with no await between check and write.
 */
export class JobLookup {
  readonly #cache: JobCache;
  readonly #commit: GroupCommit;
  // Made on first need: the hot steps find everything in memory.
  #fetched: Map<string, string | undefined> | undefined;
  #missing: Set<string> | undefined;

  constructor(cache: JobCache, commit: GroupCommit) {
    this.#cache = cache;
    this.#commit = commit;
  }

  /** The job now, undefined if unknown (or not yet fetched: see {@link done}). */
  job(id: string): Job | undefined {
    const held = this.#cache.get(id);
    if (held !== undefined) return held;
    const written = this.#commit.peek(keys.version(id));
    if (written !== MISS) return (written as Job | null) ?? undefined;
    const key = keys.job(id);
    if (this.#fetched?.has(key) !== true) {
      (this.#missing ??= new Set()).add(key);
      return undefined;
    }
    const raw = this.#fetched.get(key);
    return readJobRecord(raw, id);
  }

  /** The id of the job holding an idempotency key in a queue now. */
  idem(queue: string, idempotencyKey: string): string | undefined {
    return this.pointer(keys.idem(queue, idempotencyKey));
  }

  /** The id stored at an index key that points to a job (`qidem!`, `quniq!`, `qdeb!`). */
  pointer(key: string): string | undefined {
    const cached = this.#commit.peek(key);
    if (cached !== MISS) return (cached as string | null) ?? undefined;
    if (this.#fetched?.has(key) !== true) {
      (this.#missing ??= new Set()).add(key);
      return undefined;
    }
    return this.#fetched.get(key);
  }

  /** Returns `err` to throw, unless answers were missing: then asks for a rerun after reading them. */
  fail(err: Error): Error {
    this.done();
    return err;
  }

  /** Call before the first write: asks for a rerun if any answer so far was missing. */
  done(): void {
    if (this.#missing !== undefined && this.#missing.size > 0) {
      const missing = [...this.#missing];
      this.#missing.clear();
      throw new NeedRead(missing);
    }
  }

  /**
   * Runs `step` until it completes with every value it looked up at hand, reading what it
   * missed between runs. Synchronous (no promise) when everything was in memory.
   */
  static run<T>(
    db: LevelDb,
    cache: JobCache,
    commit: GroupCommit,
    step: (lookup: JobLookup) => T,
    guard: () => void,
  ): T | Promise<T> {
    const lookup = new JobLookup(cache, commit);
    try {
      return step(lookup);
    } catch (err) {
      if (!(err instanceof NeedRead)) throw err;
      return lookup.#runAsync(db, step, guard, err.keys);
    }
  }

  async #runAsync<T>(
    db: LevelDb,
    step: (lookup: JobLookup) => T,
    guard: () => void,
    first: string[],
  ): Promise<T> {
    const unpin = this.#commit.pin();
    try {
      let missing = first;
      for (;;) {
        const values = await db.getMany(missing).catch((err: unknown) => {
          guard(); // a store closed during the read says so rather than failing obscurely
          throw err;
        });
        guard();
        const fetched = (this.#fetched ??= new Map());
        missing.forEach((key, i) => fetched.set(key, values[i]));
        try {
          return step(this);
        } catch (err) {
          if (!(err instanceof NeedRead)) throw err;
          missing = err.keys;
        }
      }
    } finally {
      unpin();
    }
  }
}
