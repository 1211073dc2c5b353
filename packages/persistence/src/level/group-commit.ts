import {
  ErrorCode,
  GqError,
  type Job,
  type JobState,
  type Logger,
  type StoreChange,
} from '@gopherqueue/core';
import type { AbstractChainedBatch, AbstractLevel } from 'abstract-level';
import { keys } from './level-keys.js';

/** The database as the LevelStore uses it: string keys, string values. */
export type LevelDb = AbstractLevel<string | Uint8Array>;

/** Returned by {@link GroupCommit.peek} for a key with no unwritten value. */
export const MISS: unique symbol = Symbol('miss');

/** Options of {@link GroupCommit}. */
export interface GroupCommitOptions {
  /** fsync each batch (`durable`). */
  sync: boolean;
  /** Called as a batch is sealed, to append the records that summarise it (counts, seq). */
  onSeal: (put: (key: string, value: string) => void) => void;
  /** Receives the changes of a batch once it is written, in order. */
  onWritten: (changes: StoreChange[]) => void;
  logger: Logger;
}

/** A running job's record and state entry as one batch leaves them, written when it is sealed. */
interface StagedJob {
  id: string;
  /** The state before this batch (on disk, or in an earlier batch); undefined: no job. */
  from: JobState | undefined;
  /** The state this batch leaves; undefined: deleted. */
  to: JobState | undefined;
  /** The record of the version this batch leaves (made when sealed); undefined: deleted. */
  record: JobRecord | undefined;
}

/** A job's record, or how to make it once it is needed (see {@link GroupCommit.stageJob}). */
export type JobRecord = string | (() => string);

interface Batch {
  ops: AbstractChainedBatch<LevelDb, string, string>;
  /** Records and state entries of jobs claimed in this batch, by id: see {@link GroupCommit.stageJob}. */
  jobs: Map<string, StagedJob>;
  changes: StoreChange[];
  /** Unwritten values this batch carries, by key: a layer of the overlay until it is reclaimed. */
  cached: Map<string, unknown>;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: operations accumulate in one pending batch while the previous batch is being
 * written; batches are written one at a time, strictly in order, each with one (synced) write.
 *
 * It also keeps an overlay of values written but possibly not yet readable from the database
 * (jobs that left the in-memory active set, idempotency keys, meta entries), so a read never
 * misses a change that was made before it started. An overlay entry is dropped once its batch is
 * written and no read that started before that write is still running (see {@link pin}).
 */
export class GroupCommit {
  readonly #db: LevelDb;
  readonly #options: GroupCommitOptions;
  #pending: Batch | undefined;
  #inFlight: Batch | undefined;
  #failure: GqError | undefined;
  #epoch = 0;
  /** start epoch -> reads running since then (insertion order is ascending epoch) */
  readonly #pins = new Map<number, number>();
  /**
   * The values of written batches that a pinned read may not see yet, oldest first, each with
   * the epoch its write ended. With the pending and in-flight batches' own values, these are the
   * overlay's layers: a newer layer wins, and a written batch's layer goes whole when it is
   * reclaimed (one step per batch, not one per key).
   */
  #retired: { epoch: number; cached: Map<string, unknown> }[] = [];

  constructor(db: LevelDb, options: GroupCommitOptions) {
    this.#db = db;
    this.#options = options;
  }

  /** The error that put the store in the failed state, if a write failed. */
  get failure(): GqError | undefined {
    return this.#failure;
  }

  put(key: string, value: string): void {
    this.#batch().ops.put(key, value);
  }

  del(key: string): void {
    this.#batch().ops.del(key);
  }

  /**
   * Writes a job's record (`job!`) and state entry (`st!`) going from `before` to `after`, with
   * `record` the text of `after`. A job that starts running waits in the batch until it is
   * sealed, and its later changes in the same batch join it, so that it is written once, as one
   * change from the version before to the last one: a job claimed and completed within one batch
   * is written as completed, and its `running` state entry not at all. Other changes go into the
   * batch at once. These keys must be written through this method only. A `record` given as a
   * function is made only if the job is still at that version when the batch is sealed, so a job
   * claimed and completed within one batch is serialised once; it must not throw.
   */
  stageJob(id: string, before: Job | undefined, after: Job | undefined, record?: JobRecord): void {
    const batch = this.#batch();
    const staged = batch.jobs.size === 0 ? undefined : batch.jobs.get(id);
    if (staged !== undefined) {
      staged.to = after?.state;
      staged.record = record;
    } else if (after?.state === 'running') {
      batch.jobs.set(id, { id, from: before?.state, to: after.state, record });
    } else {
      writeRecord(batch.ops, id, before?.state, after?.state, record);
    }
  }

  /** The maps a read of the overlay may look through: at most {@link MAX_RETIRED} plus two. */
  get overlayLayers(): number {
    return this.#retired.length + (this.#inFlight ? 1 : 0) + (this.#pending ? 1 : 0);
  }

  /** Records the value a key will have once the pending batch is written. */
  cache(key: string, value: unknown): void {
    this.#batch().cached.set(key, value);
  }

  /** The unwritten (or just written) value of a key, or {@link MISS}. */
  peek(key: string): unknown {
    let value = layerValue(this.#pending?.cached, key);
    if (value !== MISS) return value;
    value = layerValue(this.#inFlight?.cached, key);
    for (let i = this.#retired.length - 1; value === MISS && i >= 0; i--) {
      value = layerValue(this.#retired[i]?.cached, key);
    }
    return value;
  }

  /**
   * The keys starting with `prefix` that have an unwritten value, or a written one that a pinned
   * read may not see yet, with that value. Costs one pass over the overlay, which holds only the
   * writes in flight and those pinned reads still need.
   */
  *cachedWithPrefix(prefix: string): Generator<[string, unknown]> {
    const layers = [
      this.#pending?.cached,
      this.#inFlight?.cached,
      ...this.#retired.map((r) => r.cached).reverse(),
    ].filter((layer) => layer !== undefined && layer.size > 0) as Map<string, unknown>[];
    // Newest layer first; a key met again in an older layer was overwritten since.
    const seen = layers.length > 1 ? new Set<string>() : undefined;
    for (const layer of layers) {
      for (const [key, value] of layer) {
        if (!key.startsWith(prefix)) continue;
        if (seen !== undefined) {
          if (seen.has(key)) continue;
          seen.add(key);
        }
        yield [key, value];
      }
    }
  }

  /** Queues a change for the feed, delivered once the pending batch is written. */
  change(change: StoreChange): void {
    this.#batch().changes.push(change);
  }

  /** Resolves when the pending batch (holding every operation added so far) is written. */
  commit(): Promise<void> {
    return this.#pending?.done ?? this.#inFlight?.done ?? Promise.resolve();
  }

  /**
   * Marks the start of a database read; call the returned function when the read's result has
   * been used. Overlay entries stay while a read that started before their write runs.
   */
  pin(): () => void {
    const epoch = this.#epoch;
    this.#pins.set(epoch, (this.#pins.get(epoch) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#pins.get(epoch) ?? 1) - 1;
      if (left === 0) this.#pins.delete(epoch);
      else this.#pins.set(epoch, left);
      this.#reclaim();
    };
  }

  #batch(): Batch {
    if (this.#pending !== undefined) return this.#pending;
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Callers await `done`; this handler only keeps an unawaited failure from being unhandled.
    done.catch(() => undefined);
    const batch: Batch = {
      ops: this.#db.batch(),
      jobs: new Map(),
      changes: [],
      cached: new Map(),
      done,
      resolve,
      reject,
    };
    this.#pending = batch;
    if (this.#inFlight === undefined) queueMicrotask(() => void this.#flush());
    return batch;
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    if (batch === undefined || this.#inFlight !== undefined) return;
    this.#pending = undefined;
    this.#inFlight = batch;
    if (this.#failure !== undefined) {
      await this.#abandon(batch);
      return;
    }
    try {
      // After the batch's other operations, so they win over what those wrote for the same job.
      for (const staged of batch.jobs.values()) {
        writeRecord(batch.ops, staged.id, staged.from, staged.to, staged.record);
      }
      this.#options.onSeal((key, value) => batch.ops.put(key, value));
      await batch.ops.write({ sync: this.#options.sync });
    } catch (cause) {
      this.#failure = new GqError(
        ErrorCode.STORE_FAILED,
        `store write failed; every later call fails until the store is reopened: ${(cause as Error).message}`,
        { cause },
      );
      this.#options.logger.error('store write failed', { error: (cause as Error).message });
      await this.#abandon(batch);
      return;
    }
    this.#epoch++;
    if (batch.cached.size > 0) this.#retire(batch.cached);
    this.#reclaim();
    this.#inFlight = undefined;
    try {
      this.#options.onWritten(batch.changes);
    } finally {
      batch.resolve();
      if (this.#pending !== undefined) void this.#flush();
    }
  }

  async #abandon(batch: Batch): Promise<void> {
    // Their values stay readable, never reclaimed: the store fails every call from now on.
    if (batch.cached.size > 0) this.#retired.push({ epoch: Infinity, cached: batch.cached });
    this.#inFlight = undefined;
    batch.reject(this.#failure);
    await batch.ops.close().catch(() => undefined);
    const next = this.#pending;
    if (next !== undefined) {
      this.#pending = undefined;
      if (next.cached.size > 0) this.#retired.push({ epoch: Infinity, cached: next.cached });
      next.reject(this.#failure);
      await next.ops.close().catch(() => undefined);
    }
  }

  /**
   * Keeps a written batch's values for the reads pinned before its write. Past
   * {@link MAX_RETIRED} layers (a long read, such as an export, pinned while many batches were
   * written) they join the newest layer instead, which then goes when they would: a read of the
   * overlay looks through a few maps, however long a pin is held.
   */
  #retire(cached: Map<string, unknown>): void {
    const last = this.#retired.at(-1);
    if (last === undefined || this.#retired.length < MAX_RETIRED) {
      this.#retired.push({ epoch: this.#epoch, cached });
      return;
    }
    for (const [key, value] of cached) last.cached.set(key, value);
    last.epoch = this.#epoch;
  }

  #reclaim(): void {
    let oldest = Infinity;
    for (const epoch of this.#pins.keys()) {
      oldest = epoch;
      break;
    }
    let drop = 0;
    for (const retired of this.#retired) {
      if (retired.epoch > oldest) break;
      drop++;
    }
    if (drop > 0) this.#retired = this.#retired.slice(drop);
  }
}

/** Layers of written batches kept apart at most (see `GroupCommit.#retire`). */
export const MAX_RETIRED = 4;

/** The value `layer` holds for `key`, or {@link MISS}. */
function layerValue(layer: Map<string, unknown> | undefined, key: string): unknown {
  if (layer === undefined || layer.size === 0) return MISS;
  const value = layer.get(key);
  return value !== undefined || layer.has(key) ? value : MISS;
}

/**
 * The record and state entry of a job going from state `from` to state `to` (undefined: no job),
 * `record` the text of the version it goes to.
 */
function writeRecord(
  ops: AbstractChainedBatch<LevelDb, string, string>,
  id: string,
  from: JobState | undefined,
  to: JobState | undefined,
  record: JobRecord | undefined,
): void {
  if (to !== undefined) {
    ops.put(keys.job(id), typeof record === 'function' ? record() : (record as string));
  } else if (from !== undefined) {
    ops.del(keys.job(id));
  }
  if (from !== to) {
    if (from !== undefined) ops.del(keys.state(from, id));
    if (to !== undefined) ops.put(keys.state(to, id), '');
  }
}
