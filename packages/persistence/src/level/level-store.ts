import { stat, readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  ErrorCode,
  GqError,
  noopLogger,
  systemClock,
  type ClaimOptions,
  type Clock,
  type CountDueInput,
  type DueCount,
  type GroupState,
  type Durability,
  type FailInput,
  type HeartbeatInput,
  type Job,
  type JobCounts,
  type JobLogStore,
  type JobSpec,
  type Json,
  type ListFilter,
  type ListPage,
  type Logger,
  type MetaStore,
  type PurgeInput,
  type QueueInfo,
  type QueuePatch,
  type QueueState,
  checkQueuePatch,
  type ReleaseInput,
  type RetryInput,
  type ScheduleStore,
  type Store,
  type StoreChange,
  type SubmitResult,
} from '@gopherqueue/core';
import { GroupCommit, type LevelDb } from './group-commit.js';
import { checkLeaseExpiredBy } from '../fail-input.js';
import { resolveCountDueInput } from '../count-due-input.js';
import { CountBook } from './count-book.js';
import { JobCache } from './job-cache.js';
import { JobMutations } from './job-mutations.js';
import { JobReader } from './job-reader.js';
import {
  EXPIRY_PREFIX,
  finishedPrefix,
  idOfIndexKey,
  keys,
  padTime,
  RANGE_END,
} from './level-keys.js';
import { LevelJobLogs } from './level-job-logs.js';
import { LevelMetaStore } from './level-meta-store.js';
import { checkLeaseMs } from '../time-bounds.js';
import { loadState, openLevelDb } from './level-open.js';
import { checkGroupName, checkQueueName } from '../queue-name.js';
import { LevelQueues } from './level-queues.js';
import { LevelSchedules } from './level-schedules.js';
import { QueueLimiter } from './queue-limiter.js';
import { GroupBook } from './group-book.js';
import { LevelGroups } from './level-groups.js';
import { ReadyBuckets } from './ready-buckets.js';

/** Options of {@link LevelStore.open}. */
export interface LevelStoreOptions {
  /** The data directory (ignored in memory). @defaultValue `'./data'` */
  location?: string;
  /**
   * Keep everything in memory (memory-level) instead of on disk: nothing outlives the store
   * (`gq serve --store memory`). @defaultValue false
   */
  memory?: boolean;
  /**
   * Create the data directory and an empty store when `location` holds none; `false` opens only
   * an existing store and creates nothing. @defaultValue true
   */
  createIfMissing?: boolean;
  /**
   * `durable` fsyncs every group-commit batch before acknowledging it. `relaxed` acknowledges once
   * the batch is in the operating system: a process crash loses nothing, a power loss may lose the
   * last moments of acknowledged writes (what the OS had not flushed, typically up to 30 s).
   * @defaultValue `'durable'`
   */
  durability?: Durability;
  /** Where timestamps come from. @defaultValue systemClock */
  clock?: Clock;
  /** @defaultValue noopLogger */
  logger?: Logger;
  /**
   * Runnable jobs of one bucket (a queue, a type and a priority) held in memory, at the head of
   * the claim order; the rest wait on disk only. @defaultValue 256
   */
  headSize?: number;
}

/** Rough bytes per job in memory mode, for {@link LevelStore.sizeBytes}. */
const MEMORY_BYTES_PER_JOB = 600;

/**
 * The embedded store: one abstract-level database (classic-level on disk, memory-level in
 * memory) owned by one process. Running jobs and the head of each ready bucket live in memory as
 * well, so claim and complete rarely read the disk, while waiting and finished jobs live on disk
 * only; writes are grouped into ordered, synced batches. See `Store` for the guarantees.
 */
export class LevelStore implements Store {
  readonly exclusive = true;
  readonly meta: MetaStore;
  readonly schedules: ScheduleStore;
  readonly logs: JobLogStore;
  readonly #db: LevelDb;
  readonly #location: string;
  readonly #memory: boolean;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #cache = new JobCache();
  readonly #ready: ReadyBuckets;
  readonly #counts = new CountBook();
  readonly #commit: GroupCommit;
  readonly #reader: JobReader;
  readonly #paused = new Set<string>();
  readonly #limiter = new QueueLimiter((queue) => this.#counts.running(queue));
  readonly #book = new GroupBook();
  readonly #groups: LevelGroups;
  readonly #listeners = new Set<(change: StoreChange) => void>();
  readonly #runnableListeners = new Set<() => void>();
  #runnableQueued = false;
  readonly #guard = (): void => this.#check();
  readonly #jobs: JobMutations;
  readonly #queues: LevelQueues;
  #seqWritten = 0;
  #closed = false;

  private constructor(db: LevelDb, options: Required<LevelStoreOptions>) {
    this.#db = db;
    this.#location = options.location;
    this.#memory = options.memory;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#commit = new GroupCommit(db, {
      sync: options.durability === 'durable',
      logger: options.logger,
      onSeal: (put) => {
        const counts = this.#counts.takeDirty();
        if (counts !== undefined) put(keys.counts, counts);
        if (this.#jobs.seq !== this.#seqWritten) {
          put(keys.seq, String(this.#jobs.seq));
          this.#seqWritten = this.#jobs.seq;
        }
      },
      onWritten: (changes) => this.#emit(changes),
    });
    this.#ready = new ReadyBuckets({
      db,
      commit: this.#commit,
      cache: this.#cache,
      logger: options.logger,
      guard: this.#guard,
      headSize: options.headSize,
    });
    this.#reader = new JobReader(db, this.#cache, this.#commit, this.#guard);
    this.#groups = new LevelGroups(this.#book, this.#limiter, this.#ready);
    this.#jobs = new JobMutations({
      db,
      cache: this.#cache,
      ready: this.#ready,
      counts: this.#counts,
      commit: this.#commit,
      clock: options.clock,
      paused: this.#paused,
      limiter: this.#limiter,
      book: this.#book,
      groups: this.#groups,
      guard: this.#guard,
      runnable: () => this.#queueRunnable(),
    });
    this.meta = new LevelMetaStore(db, this.#commit, this.#guard);
    this.schedules = new LevelSchedules({
      db,
      commit: this.#commit,
      clock: options.clock,
      logger: options.logger,
      guard: this.#guard,
      submit: (specs, alongside) => this.#jobs.submit(specs, alongside),
    });
    this.logs = new LevelJobLogs({
      db,
      commit: this.#commit,
      guard: this.#guard,
      read: (ids) => this.#jobs.read(ids),
    });
    this.#queues = new LevelQueues({
      counts: this.#counts,
      paused: this.#paused,
      limiter: this.#limiter,
      ready: this.#ready,
      commit: this.#commit,
      clock: options.clock,
      book: this.#book,
      groups: this.#groups,
    });
  }

  /**
   * Opens (creating if needed, unless `createIfMissing` is false) a store and loads its active
   * jobs into memory.
   * @throws GQ_STORE_LOCKED when another process has the directory open; GQ_NOT_FOUND when
   * `createIfMissing` is false and `location` holds no store.
   */
  static async open(options: LevelStoreOptions = {}): Promise<LevelStore> {
    const location = options.location ?? './data';
    if (typeof location !== 'string' || location === '') {
      throw new TypeError(`location must be a non-empty string; got ${JSON.stringify(location)}`);
    }
    const durability = options.durability ?? 'durable';
    if (durability !== 'durable' && durability !== 'relaxed') {
      throw new RangeError(
        `durability must be 'durable' or 'relaxed'; got ${JSON.stringify(durability)}`,
      );
    }
    const resolved: Required<LevelStoreOptions> = {
      location: path.resolve(location),
      memory: options.memory ?? false,
      createIfMissing: options.createIfMissing ?? true,
      durability,
      clock: options.clock ?? systemClock,
      logger: options.logger ?? noopLogger,
      headSize: options.headSize ?? 256,
    };
    if (!Number.isInteger(resolved.headSize) || resolved.headSize < 1) {
      throw new RangeError(`headSize must be a positive integer; got ${String(options.headSize)}`);
    }
    const db = await openLevelDb(resolved.location, resolved.memory, resolved.createIfMissing);
    try {
      const state = await loadState(db);
      const store = new LevelStore(db, resolved);
      store.#load(state);
      return store;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  #load(state: Awaited<ReturnType<typeof loadState>>): void {
    if (state.counts !== undefined) this.#counts.load(state.counts);
    if (state.recounted) {
      this.#logger.warn('job counts or the last seq did not read; rebuilt from the job records', {
        total: this.#counts.snapshot().total,
        seq: state.seq,
      });
    }
    this.#jobs.seq = this.#seqWritten = state.seq;
    this.#jobs.maxId = state.maxId;
    for (const name of state.paused) this.#paused.add(name);
    for (const [name, limits] of state.limits) this.#limiter.set(name, limits);
    for (const job of state.running) {
      this.#cache.hold(job);
      this.#book.addRunning(job);
    }
    if (state.unreadable.length > 0) {
      this.#logger.error('unreadable job records in the running index; left on disk, not run', {
        count: state.unreadable.length,
        jobIds: state.unreadable.slice(0, 10),
      });
    }
    for (const { queue, group, seq, id } of state.groupMembers) {
      this.#book.addMember(queue, group, seq, id);
    }
    for (const [dependency, id] of state.waits) this.#cache.trackWaits(id, [], [dependency]);
    for (const { queue, type, priority } of state.buckets) {
      this.#ready.discover(queue, type, priority);
    }
    this.#logger.info('level store opened', {
      location: this.#memory ? ':memory:' : this.#location,
      running: state.running.length,
      buckets: state.buckets.length,
      total: this.#counts.snapshot().total,
    });
  }

  #check(): void {
    if (this.#closed) throw new GqError(ErrorCode.STORE_CLOSED, 'the store is closed');
    const failure = this.#commit.failure;
    if (failure !== undefined) throw failure;
  }

  /** Waits until the step's writes are durable, then returns its result. */
  async #durable<T>(result: T | Promise<T>): Promise<T> {
    const value = result instanceof Promise ? await result : result;
    await this.#commit.commit();
    return value;
  }

  async submit(spec: JobSpec): Promise<SubmitResult> {
    const [result] = await this.submitBatch([spec]);
    return result as SubmitResult;
  }

  async submitBatch(specs: readonly JobSpec[]): Promise<SubmitResult[]> {
    this.#check();
    if (specs.length === 0) return [];
    return this.#durable(this.#jobs.submit(specs));
  }

  async get(id: string): Promise<Job | undefined> {
    this.#check();
    const held = this.#cache.get(id);
    if (held !== undefined) return held;
    const [job] = await this.getMany([id]);
    return job;
  }

  async getMany(ids: readonly string[]): Promise<(Job | undefined)[]> {
    this.#check();
    return this.#jobs.read(ids);
  }

  async list(filter: ListFilter = {}): Promise<ListPage> {
    this.#check();
    return this.#reader.list(filter);
  }

  /**
   * What the store holds in memory: jobs (the running ones and the heads of the ready buckets)
   * and buckets of the ready index. Waiting and finished jobs are on disk only.
   */
  memoryStats(): { heldJobs: number; runningJobs: number; readyBuckets: number } {
    return {
      heldJobs: this.#cache.size,
      runningJobs: this.#cache.runningCount,
      readyBuckets: this.#ready.bucketCount,
    };
  }

  async counts(): Promise<JobCounts> {
    this.#check();
    return Promise.resolve(this.#counts.snapshot());
  }

  async claim(options: ClaimOptions): Promise<Job[]> {
    this.#check();
    if (!Number.isInteger(options.limit) || options.limit < 0) {
      throw new RangeError(`limit must be a non-negative integer; got ${options.limit}`);
    }
    checkLeaseMs(options.leaseMs);
    // Not awaiting the batch: the jobs start while their claim is being written (see `Store`).
    return this.#jobs.claim(options);
  }

  async heartbeat(id: string, token: string, input: HeartbeatInput): Promise<Job> {
    this.#check();
    checkLeaseMs(input.leaseMs);
    return this.#durable(this.#jobs.heartbeat(id, token, input));
  }

  async complete(id: string, token: string, result: Json): Promise<Job> {
    this.#check();
    return this.#durable(this.#jobs.complete(id, token, result));
  }

  async fail(id: string, token: string, input: FailInput): Promise<Job> {
    this.#check();
    checkLeaseExpiredBy(input);
    return this.#durable(this.#jobs.fail(id, token, input));
  }

  async release(id: string, token: string, input: ReleaseInput = {}): Promise<Job> {
    this.#check();
    return this.#durable(this.#jobs.release(id, token, input.runAt));
  }

  async cancel(id: string, reason?: string): Promise<Job> {
    this.#check();
    return this.#durable(this.#jobs.cancel(id, reason));
  }

  async retry(id: string, input: RetryInput = {}): Promise<Job> {
    this.#check();
    return this.#durable(this.#jobs.retry(id, input.resetAttempts ?? false));
  }

  async delete(id: string): Promise<Job> {
    this.#check();
    return this.#durable(this.#jobs.delete(id));
  }

  async expire(limit: number): Promise<Job[]> {
    this.#check();
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be a positive integer; got ${limit}`);
    }
    await this.#commit.commit();
    const found = await this.#db
      .keys({
        gt: EXPIRY_PREFIX,
        lt: EXPIRY_PREFIX + padTime(this.#clock.now()) + RANGE_END,
        limit,
      })
      .all();
    this.#check();
    if (found.length === 0) return [];
    return this.#durable(this.#jobs.expire(found.map(idOfIndexKey)));
  }

  async expiredLeases(now: number, limit: number): Promise<Job[]> {
    this.#check();
    return Promise.resolve(this.#cache.expired(now, limit));
  }

  async countDue(input?: CountDueInput): Promise<DueCount[]> {
    const { excludeTypes, limit, maxTypes } = resolveCountDueInput(input);
    this.#check();
    return this.#ready.countDue(this.#clock.now(), excludeTypes, limit, maxTypes);
  }

  async nextRunAt(): Promise<number | undefined> {
    this.#check();
    return this.#ready.nextRunAt(this.#paused, (queue) =>
      this.#limiter.floor(queue, this.#clock.now()),
    );
  }

  async purgeFinished(input: PurgeInput): Promise<number> {
    this.#check();
    const limit = input.limit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be a positive integer; got ${limit}`);
    }
    await this.#commit.commit();
    const ids: string[] = [];
    for (const state of new Set(input.states)) {
      if (ids.length >= limit) break;
      const prefix = finishedPrefix(state);
      const found = await this.#db
        .keys({ gt: prefix, lt: prefix + padTime(input.finishedBefore), limit: limit - ids.length })
        .all();
      for (const key of found) ids.push(idOfIndexKey(key));
    }
    this.#check();
    if (ids.length === 0) return 0;
    return this.#durable(this.#jobs.purge(ids, new Set(input.states), input.finishedBefore));
  }

  async listQueues(): Promise<QueueInfo[]> {
    this.#check();
    const queues = await this.#queues.list();
    this.#check();
    return queues;
  }

  async getQueue(name: string): Promise<QueueState> {
    this.#check();
    checkQueueName(name);
    const queue = await this.#queues.get(name);
    this.#check();
    return queue;
  }

  async getGroup(queue: string, group: string): Promise<GroupState> {
    this.#check();
    checkQueueName(queue);
    checkGroupName(group);
    return Promise.resolve(this.#groups.state(queue, group));
  }

  async pauseQueue(name: string): Promise<void> {
    await this.setQueue(name, { paused: true });
  }

  async resumeQueue(name: string): Promise<void> {
    await this.setQueue(name, { paused: false });
  }

  async setQueue(name: string, patch: QueuePatch): Promise<QueueState> {
    this.#check();
    checkQueueName(name);
    checkQueuePatch(patch);
    this.#queues.apply(name, patch);
    await this.#commit.commit();
    return this.getQueue(name);
  }

  scan(): AsyncIterable<Job> {
    this.#check();
    return this.#reader.scan();
  }

  async restore(jobs: readonly Job[]): Promise<number> {
    this.#check();
    if (jobs.length === 0) return 0;
    return this.#durable(this.#jobs.restore(jobs));
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  watchRunnable(listener: () => void): () => void {
    this.#runnableListeners.add(listener);
    return () => this.#runnableListeners.delete(listener);
  }

  /** Tells the runnable watchers once, after the step that called it (and any in the same turn). */
  #queueRunnable(): void {
    if (this.#runnableQueued || this.#runnableListeners.size === 0) return;
    this.#runnableQueued = true;
    queueMicrotask(() => {
      this.#runnableQueued = false;
      if (this.#closed) return;
      for (const listener of this.#runnableListeners) {
        try {
          listener();
        } catch (err) {
          this.#logger.warn('store runnable listener threw', { error: (err as Error).message });
        }
      }
    });
  }

  #emit(changes: StoreChange[]): void {
    if (this.#listeners.size === 0) return;
    for (const change of changes) {
      for (const listener of this.#listeners) {
        try {
          listener(change);
        } catch (err) {
          this.#logger.warn('store change listener threw', { error: (err as Error).message });
        }
      }
    }
  }

  async ping(): Promise<void> {
    this.#check();
    await this.#db.get(keys.seq);
    this.#check();
  }

  async sizeBytes(): Promise<number> {
    this.#check();
    if (this.#memory) return this.#counts.snapshot().total * MEMORY_BYTES_PER_JOB;
    let total = 0;
    for (const name of await readdir(this.#location)) {
      const info = await stat(path.join(this.#location, name)).catch(() => undefined);
      if (info?.isFile() === true) total += info.size;
    }
    return total;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#commit.commit();
    } catch (err) {
      this.#logger.warn('pending writes failed at close', { error: (err as Error).message });
    }
    this.#listeners.clear();
    this.#runnableListeners.clear();
    await this.#ready.settle();
    await this.#db.close();
  }
}
