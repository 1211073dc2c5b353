import {
  ErrorCode,
  GqError,
  systemClock,
  type ClaimOptions,
  type Clock,
  type FailOutcome,
  type FailureReport,
  type Job,
  type JobLogAppend,
  type Json,
  type Store,
} from '@gopherqueue/core';
import { failureOutcome, type Scheduler } from '@gopherqueue/scheduler';
import type { JobChange, LeaseRenewal, WorkRequest, WorkSource } from './work-source.js';

/** Options of {@link StoreWorkSource}. */
export interface StoreWorkSourceOptions {
  /** Where jobs are claimed and their ends written. */
  store: Store;
  /** Wakes claimers when work may be claimable; start it before the pool. */
  scheduler: Scheduler;
  /** The time a failure's retry is counted from; use the store's clock. @defaultValue systemClock */
  clock?: Clock;
}

/**
 * The {@link WorkSource} of a pool in the process that holds the store (`gq serve`, an
 * application): claims straight from the `Store`, waits for work on the `Scheduler` (no polling),
 * decides a failed attempt's fate with the retry policy (`failureOutcome`), and reports job
 * changes from the store's change feed.
 */
export class StoreWorkSource implements WorkSource {
  readonly #store: Store;
  readonly #scheduler: Scheduler;
  readonly #clock: Clock;

  /** @throws TypeError when the store or the scheduler is missing. */
  constructor(options: StoreWorkSourceOptions) {
    if (typeof options?.store !== 'object' || options.store === null) {
      throw new TypeError('WorkerPool options.store must be a Store');
    }
    if (typeof options.scheduler !== 'object' || options.scheduler === null) {
      throw new TypeError('WorkerPool options.scheduler must be a Scheduler');
    }
    this.#store = options.store;
    this.#scheduler = options.scheduler;
    this.#clock = options.clock ?? systemClock;
  }

  /** The store's `claimAhead`. */
  get claimAhead(): number {
    return this.#store.claimAhead ?? 0;
  }

  async appendLogs(entries: JobLogAppend[]): Promise<void> {
    await this.#store.logs.append(entries);
  }

  async claim(request: WorkRequest, signal: AbortSignal): Promise<Job[]> {
    const scheduler = this.#scheduler;
    // Read before the claim, so a wake that happens during it is not missed.
    const epoch = scheduler.epoch;
    const wait = request.wait !== false;
    if (request.types !== undefined && request.types.length === 0) {
      if (wait) await scheduler.waitForWork(signal, epoch);
      return [];
    }
    // A request is a claim's options (and the pool's concurrency and wait, which the store
    // ignores).
    const claim: ClaimOptions = request;
    const jobs = await this.#store.claim(claim);
    if (jobs.length === 0 && wait) await scheduler.waitForWork(signal, epoch);
    return jobs;
  }

  async heartbeat(job: Job, renewal: LeaseRenewal): Promise<void> {
    await this.#store.heartbeat(job.id, job.leaseToken ?? '', renewal);
  }

  async complete(job: Job, result: Json): Promise<void> {
    await this.#store.complete(job.id, job.leaseToken ?? '', result);
  }

  async fail(job: Job, report: FailureReport): Promise<FailOutcome> {
    const outcome = failureOutcome(job, report, this.#clock.now());
    await this.#store.fail(job.id, job.leaseToken ?? '', { error: report, outcome });
    return outcome;
  }

  async release(job: Job, delayMs?: number): Promise<void> {
    await this.#store.release(
      job.id,
      job.leaseToken ?? '',
      delayMs === undefined ? {} : { runAt: this.#clock.now() + Math.ceil(delayMs) },
    );
  }

  async dependencies(job: Job): Promise<Job[]> {
    const found = await this.#store.getMany(job.dependsOn);
    return found.filter((dependency): dependency is Job => dependency !== undefined);
  }

  /** @throws GQ_INVALID_STATE when the scheduler is not started. */
  watch(_workerId: string, listener: (change: JobChange) => void): () => Promise<void> {
    if (!this.#scheduler.running) {
      throw new GqError(ErrorCode.INVALID_STATE, 'start the scheduler before the worker pool');
    }
    const unsubscribe = this.#store.subscribe((change) => {
      if (change.kind === 'queue') {
        listener({ kind: 'queue', id: change.id, state: undefined });
      } else if (change.kind === 'deleted') {
        listener({ id: change.id, state: 'deleted' });
      } else if (change.kind === 'updated' && change.state !== undefined) {
        const job = change.job;
        const reported: JobChange = { id: change.id, state: change.state };
        // The attempt lets the pool tell a late report of an earlier attempt from a loss; a
        // change from another node has no job, only its attempt.
        const attempt = job?.attempt ?? change.attempt;
        if (attempt !== undefined) reported.attempt = attempt;
        if (job?.leaseToken !== undefined) reported.leaseToken = job.leaseToken;
        listener(reported);
      }
    });
    return () => {
      unsubscribe();
      return Promise.resolve();
    };
  }
}
