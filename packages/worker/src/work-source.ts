import type {
  FailOutcome,
  FailureReport,
  Job,
  JobLogAppend,
  JobState,
  Json,
} from '@gopherqueue/core';

/** What a {@link WorkerPool} asks of a {@link WorkSource} at each claim. */
export interface WorkRequest {
  /** Recorded as the lease holder. */
  workerId: string;
  /** At most this many jobs (the pool's free slots). */
  limit: number;
  /** Lease length from the claim. */
  leaseMs: number;
  /** Only jobs of these types; undefined: every type. */
  types?: readonly string[];
  /** Only jobs of these queues; undefined: every queue. */
  queues?: readonly string[];
  /**
   * `false`: answer at once, with no jobs when none is ready, instead of waiting for work (a
   * weighted pool's claims of one queue each). @defaultValue true
   */
  wait?: boolean;
  /**
   * Jobs to hold ahead of a free slot (the pool's `claimAhead`; always with `wait: false`): a
   * source passes it to the claim (a store's, or the lease API's `ahead`), which then takes no
   * job of a limited queue.
   */
  ahead?: boolean;
  /** The pool's handlers at once, for a source that reports it (the lease API lists it). */
  concurrency: number;
}

/** What a lease renewal saves besides extending the lease. */
export interface LeaseRenewal {
  /** The lease is extended to now + leaseMs. */
  leaseMs: number;
  checkpoint?: Json;
  progress?: Json;
  progressMessage?: string;
}

/**
 * A change of a job, as a {@link WorkSource} reports it: enough for the pool to tell whether a
 * job it runs was cancelled or taken from it.
 */
export interface JobChange {
  /**
   * `queue` for a change of a queue's settings (paused, resumed, limits), whose name is then
   * `id`; absent for a change of a job.
   */
  kind?: 'queue';
  id: string;
  /** The job's state after the change; `deleted` when it is gone; undefined when not known. */
  state: JobState | 'deleted' | undefined;
  /** Who holds the job now, when it is `running` and the source knows. */
  leaseToken?: string;
  workerId?: string;
  attempt?: number;
}

/**
 * The narrow port between a {@link WorkerPool} and where its jobs come from: claim, renew, end,
 * and a stream of changes for cancellation. Every call about a claimed job carries the job as
 * the claim returned it (its `leaseToken` fences the call).
 *
 * Two adapters: {@link StoreWorkSource} over a `Store` and a `Scheduler` in the same process
 * (`gq serve`, an application), and {@link HttpWorkSource} over the HTTP lease API of a server
 * (`gq work`). Where a failed attempt goes (retry with backoff, failed, dead letter) is the
 * source's decision: the retry policy applied to the store, or the server's.
 */
export interface WorkSource {
  /**
   * How many jobs a pool should claim ahead of its free slots by default (see the pool's
   * `claimAhead`): worth it where a claim costs a round trip. @defaultValue 0
   */
  readonly claimAhead?: number;
  /**
   * Claims up to `request.limit` runnable jobs with a lease. When none is ready it waits for
   * work (until `signal` aborts, or a wait of its own ends) and resolves with no jobs, so the
   * pool claims again with fresh free slots and types; with `request.wait` false it resolves
   * with no jobs at once.
   * @throws whatever the store or the network threw; the pool logs it and claims again later.
   */
  claim(request: WorkRequest, signal: AbortSignal): Promise<Job[]>;
  /**
   * Extends the lease of a claimed job, saving a checkpoint or progress when given.
   * @throws GQ_LEASE_LOST when the job was cancelled or taken back.
   */
  heartbeat(job: Job, renewal: LeaseRenewal): Promise<void>;
  /** Completes a claimed job with its result. @throws GQ_LEASE_LOST */
  complete(job: Job, result: Json): Promise<void>;
  /**
   * Fails the attempt of a claimed job, recording `report`, and resolves with where the job
   * went. @throws GQ_LEASE_LOST
   */
  fail(job: Job, report: FailureReport): Promise<FailOutcome>;
  /**
   * Gives a claimed job back to `scheduled` without spending its attempt, to run again at once
   * (a pool shutting down) or `delayMs` from now (a handler's snooze). @throws GQ_LEASE_LOST
   */
  release(job: Job, delayMs?: number): Promise<void>;
  /** The jobs `job` depends on, with their results, in `dependsOn` order (unknown ones left out). */
  dependencies(job: Job): Promise<Job[]>;
  /**
   * Starts telling `listener` of changes to the jobs `workerId` holds (a source may report
   * others too; the pool ignores jobs it does not run). Returns the function that stops it,
   * which resolves once it stopped.
   * @throws GQ_INVALID_STATE when the source cannot serve yet (a store source whose scheduler
   * is not started).
   */
  watch(workerId: string, listener: (change: JobChange) => void): () => Promise<void>;
  /**
   * Keeps lines handlers wrote through `ctx.logger` with their jobs (`store.logs`, or the lease
   * API's `POST /workers/logs`). A source without it keeps none.
   */
  appendLogs?(entries: JobLogAppend[]): Promise<void>;
}
