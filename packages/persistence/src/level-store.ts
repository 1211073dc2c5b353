import { randomUUID } from 'node:crypto';
import { stat, readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  ErrorCode,
  GqError,
  isTerminal,
  noopLogger,
  systemClock,
  type ClaimOptions,
  type Clock,
  type Durability,
  type FailInput,
  type HeartbeatInput,
  type Job,
  type JobCounts,
  type JobSpec,
  type Json,
  type ListFilter,
  type ListPage,
  type Logger,
  type MetaStore,
  type PurgeInput,
  type QueueInfo,
  type ReleaseInput,
  type RetryInput,
  type Store,
  type StoreChange,
  type SubmitResult,
} from '@gopherqueue/core';
import { ActiveSet } from './active-set.js';
import { GroupCommit, type LevelDb } from './group-commit.js';
import { CountBook } from './job-counts.js';
import { writeJob } from './job-index.js';
import { JobLookup } from './job-lookup.js';
import { JobReader } from './job-reader.js';
import * as next from './job-transitions.js';
import { finishedPrefix, idOfIndexKey, keys, padTime } from './level-keys.js';
import { LevelMetaStore } from './level-meta-store.js';
import { loadState, openLevelDb } from './level-open.js';
import { planSubmit } from './submit-plan.js';

/** Options of {@link LevelStore.open}. */
export interface LevelStoreOptions {
  /** The data directory (ignored in memory). @defaultValue `'./data'` */
  location?: string;
  /** Keep everything in memory (memory-level) instead of on disk; the seed's `--bolt=false`. @defaultValue false */
  memory?: boolean;
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
}

/** Rough bytes per job in memory mode, for {@link LevelStore.sizeBytes}. */
const MEMORY_BYTES_PER_JOB = 600;

/**
 * The embedded store: one abstract-level database (classic-level on disk, memory-level in
 * memory) owned by one process. Active jobs live in memory as well, so submit, claim and
 * complete never read the disk; writes are grouped into ordered, synced batches.
 * See `Store` for the guarantees.
 */
export class LevelStore implements Store {
  readonly exclusive = true;
  readonly meta: MetaStore;
  readonly #db: LevelDb;
  readonly #location: string;
  readonly #memory: boolean;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #active = new ActiveSet();
  readonly #counts = new CountBook();
  readonly #commit: GroupCommit;
  readonly #reader: JobReader;
  readonly #paused = new Set<string>();
  readonly #listeners = new Set<(change: StoreChange) => void>();
  readonly #guard = (): void => this.#check();
  #seq = 0;
  #seqWritten = 0;
  #maxId = '';
  #closed = false;

  private constructor(db: LevelDb, options: Required<LevelStoreOptions>) {
    this.#db = db;
    this.#location = options.location;
    this.#memory = options.memory;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#commit = new GroupCommit(db, {
      sync: options.durability === 'durable',
      logger: options.logger,
      onSeal: (put) => {
        const counts = this.#counts.takeDirty();
        if (counts !== undefined) put(keys.counts, counts);
        if (this.#seq !== this.#seqWritten) {
          put(keys.seq, String(this.#seq));
          this.#seqWritten = this.#seq;
        }
      },
      onWritten: (changes) => this.#emit(changes),
    });
    this.#reader = new JobReader(db, this.#active, this.#commit, this.#guard);
    this.meta = new LevelMetaStore(db, this.#commit, this.#guard);
  }

  /**
   * Opens (creating if needed) a store and loads its active jobs into memory.
   * @throws GQ_STORE_LOCKED when another process has the directory open.
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
      durability,
      clock: options.clock ?? systemClock,
      logger: options.logger ?? noopLogger,
    };
    const db = await openLevelDb(resolved.location, resolved.memory);
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
    this.#seq = this.#seqWritten = state.seq;
    this.#maxId = state.maxId;
    for (const name of state.paused) this.#paused.add(name);
    for (const job of state.active) this.#active.set(undefined, job);
    this.#logger.info('level store opened', {
      location: this.#memory ? ':memory:' : this.#location,
      active: this.#active.size,
      total: this.#counts.snapshot().total,
    });
  }

  #check(): void {
    if (this.#closed) throw new GqError(ErrorCode.STORE_CLOSED, 'the store is closed');
    const failure = this.#commit.failure;
    if (failure !== undefined) throw failure;
  }

  /** Runs a check-and-write step atomically, reading from disk first what it needs. */
  #step<T>(step: (lookup: JobLookup) => T): T | Promise<T> {
    return JobLookup.run(this.#db, this.#active, this.#commit, step, this.#guard);
  }

  /** Waits until the step's writes are durable, then returns its result. */
  async #durable<T>(result: T | Promise<T>): Promise<T> {
    const value = result instanceof Promise ? await result : result;
    await this.#commit.commit();
    return value;
  }

  #write(before: Job | undefined, after: Job | undefined, kind: StoreChange['kind']): void {
    writeJob({ commit: this.#commit, counts: this.#counts, active: this.#active }, before, after);
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
    this.#commit.change(change);
  }

  async submit(spec: JobSpec): Promise<SubmitResult> {
    const [result] = await this.submitBatch([spec]);
    return result as SubmitResult;
  }

  async submitBatch(specs: readonly JobSpec[]): Promise<SubmitResult[]> {
    this.#check();
    if (specs.length === 0) return [];
    return this.#durable(
      this.#step((lookup) => {
        const now = this.#clock.now();
        const plan = planSubmit(specs, lookup, { now, seq: this.#seq, maxId: this.#maxId });
        for (const job of plan.created) this.#write(undefined, job, 'created');
        this.#seq = plan.seq;
        if (plan.maxId > this.#maxId) this.#maxId = plan.maxId;
        return plan.results;
      }),
    );
  }

  async get(id: string): Promise<Job | undefined> {
    this.#check();
    const active = this.#active.get(id);
    if (active !== undefined) return active;
    const [job] = await this.getMany([id]);
    return job;
  }

  async getMany(ids: readonly string[]): Promise<(Job | undefined)[]> {
    this.#check();
    return this.#step((lookup) => {
      const jobs = ids.map((id) => lookup.job(id));
      lookup.done();
      return jobs;
    });
  }

  async list(filter: ListFilter = {}): Promise<ListPage> {
    this.#check();
    return this.#reader.list(filter);
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
    if (!(options.leaseMs > 0)) throw new RangeError(`leaseMs must be > 0; got ${options.leaseMs}`);
    const now = this.#clock.now();
    const ready = this.#active.takeReady(options.limit, {
      now,
      paused: this.#paused,
      types: options.types,
      queues: options.queues,
    });
    if (ready.length === 0) return [];
    const claimed = ready.map((job) => {
      const after = next.claimedJob(job, now, options, randomUUID());
      this.#write(job, after, 'updated');
      return after;
    });
    await this.#commit.commit();
    return claimed;
  }

  /** Runs `apply` on a running job whose lease `token` holds. */
  #leased(id: string, token: string, apply: (job: Job, now: number) => Job): Promise<Job> {
    this.#check();
    return this.#durable(
      this.#step((lookup) => {
        const job = lookup.job(id);
        if (job === undefined) throw lookup.fail(notFound(id));
        if (job.state !== 'running' || job.leaseToken !== token) {
          throw lookup.fail(
            new GqError(ErrorCode.LEASE_LOST, `job ${id} is no longer leased with this token`, {
              details: { id, state: job.state },
            }),
          );
        }
        return apply(job, this.#clock.now());
      }),
    );
  }

  async heartbeat(id: string, token: string, input: HeartbeatInput): Promise<Job> {
    return this.#leased(id, token, (job, now) => {
      const after = next.heartbeatJob(job, now, input);
      this.#write(job, after, input.progress !== undefined ? 'progress' : 'updated');
      return after;
    });
  }

  async complete(id: string, token: string, result: Json): Promise<Job> {
    return this.#leased(id, token, (job, now) => {
      const after = next.completedJob(job, now, result);
      this.#write(job, after, 'updated');
      for (const waiting of this.#active.dependentsOf(id)) {
        const dependent = this.#active.get(waiting);
        if (dependent === undefined) continue;
        this.#write(dependent, next.dependencyMetJob(dependent, id, now), 'updated');
      }
      return after;
    });
  }

  async fail(id: string, token: string, input: FailInput): Promise<Job> {
    return this.#leased(id, token, (job, now) => {
      const after = next.failedJob(job, now, input);
      this.#write(job, after, 'updated');
      if (isTerminal(after.state)) this.#cascade(id, now);
      return after;
    });
  }

  async release(id: string, token: string, input: ReleaseInput = {}): Promise<Job> {
    return this.#leased(id, token, (job, now) => {
      const after = next.releasedJob(job, now, input.runAt ?? now);
      this.#write(job, after, 'updated');
      return after;
    });
  }

  /** Cancels, transitively, every job still waiting on `id`. */
  #cascade(id: string, now: number): void {
    const queue = [id];
    for (let dep = queue.pop(); dep !== undefined; dep = queue.pop()) {
      for (const waiting of this.#active.dependentsOf(dep)) {
        const dependent = this.#active.get(waiting);
        if (dependent === undefined) continue;
        this.#write(dependent, next.cancelledJob(dependent, now, 'dependency_failed'), 'updated');
        queue.push(waiting);
      }
    }
  }

  async cancel(id: string, reason?: string): Promise<Job> {
    this.#check();
    return this.#durable(
      this.#step((lookup) => {
        const job = lookup.job(id);
        if (job === undefined) throw lookup.fail(notFound(id));
        if (isTerminal(job.state)) throw lookup.fail(invalidState(id, job.state, 'cancel'));
        const now = this.#clock.now();
        const after = next.cancelledJob(job, now, reason);
        this.#write(job, after, 'updated');
        this.#cascade(id, now);
        return after;
      }),
    );
  }

  async retry(id: string, input: RetryInput = {}): Promise<Job> {
    this.#check();
    return this.#durable(
      this.#step((lookup) => {
        const job = lookup.job(id);
        if (job === undefined) throw lookup.fail(notFound(id));
        if (job.state !== 'failed' && job.state !== 'dead_letter' && job.state !== 'cancelled') {
          throw lookup.fail(invalidState(id, job.state, 'retry'));
        }
        const after = next.retriedJob(job, this.#clock.now(), input.resetAttempts ?? false);
        this.#write(job, after, 'updated');
        return after;
      }),
    );
  }

  async delete(id: string): Promise<Job> {
    this.#check();
    return this.#durable(
      this.#step((lookup) => {
        const job = lookup.job(id);
        if (job === undefined) throw lookup.fail(notFound(id));
        if (job.state === 'running') throw lookup.fail(invalidState(id, job.state, 'delete'));
        this.#write(job, undefined, 'deleted');
        this.#cascade(id, this.#clock.now());
        return job;
      }),
    );
  }

  async expiredLeases(now: number, limit: number): Promise<Job[]> {
    this.#check();
    return Promise.resolve(this.#active.expired(now, limit));
  }

  async nextRunAt(): Promise<number | undefined> {
    this.#check();
    return Promise.resolve(this.#active.nextRunAt(this.#paused));
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
    const states = new Set<string>(input.states);
    return this.#durable(
      this.#step((lookup) => {
        const jobs = ids.map((id) => lookup.job(id));
        lookup.done();
        let purged = 0;
        for (const job of jobs) {
          if (job === undefined || !states.has(job.state)) continue;
          if ((job.finishedAt ?? 0) >= input.finishedBefore) continue;
          this.#write(job, undefined, 'deleted');
          purged++;
        }
        return purged;
      }),
    );
  }

  async listQueues(): Promise<QueueInfo[]> {
    this.#check();
    const names = new Set([...this.#counts.queueNames(), ...this.#paused]);
    return Promise.resolve(
      [...names].sort().map((name) => ({
        name,
        paused: this.#paused.has(name),
        byState: this.#counts.queueCounts(name),
      })),
    );
  }

  async pauseQueue(name: string): Promise<void> {
    await this.#setPaused(name, true);
  }

  async resumeQueue(name: string): Promise<void> {
    await this.#setPaused(name, false);
  }

  async #setPaused(name: string, paused: boolean): Promise<void> {
    this.#check();
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(`queue name must be a non-empty string; got ${JSON.stringify(name)}`);
    }
    if (paused) {
      this.#paused.add(name);
      this.#commit.put(keys.queueRecord(name), JSON.stringify({ paused: true }));
    } else {
      this.#paused.delete(name);
      this.#commit.del(keys.queueRecord(name));
    }
    this.#commit.change({ kind: 'queue', id: name, queue: name });
    await this.#commit.commit();
  }

  scan(): AsyncIterable<Job> {
    this.#check();
    return this.#reader.scan();
  }

  async restore(jobs: readonly Job[]): Promise<void> {
    this.#check();
    if (jobs.length === 0) return;
    await this.#durable(
      this.#step((lookup) => {
        const before = jobs.map((job) => lookup.job(job.id));
        lookup.done();
        const written = new Map<string, Job>();
        jobs.forEach((job, i) => {
          const old = written.get(job.id) ?? before[i];
          this.#write(old, job, old === undefined ? 'created' : 'updated');
          written.set(job.id, job);
          if (job.seq > this.#seq) this.#seq = job.seq;
          if (job.id > this.#maxId) this.#maxId = job.id;
        });
      }),
    );
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
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
    await this.#db.close();
  }
}

function notFound(id: string): GqError {
  return new GqError(ErrorCode.NOT_FOUND, `job ${id} not found`, { details: { id } });
}

function invalidState(id: string, state: string, action: string): GqError {
  return new GqError(ErrorCode.INVALID_STATE, `cannot ${action} job ${id}: it is ${state}`, {
    details: { id, state },
  });
}
