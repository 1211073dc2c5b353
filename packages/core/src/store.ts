/**
 * The Store contract: the only seam between the engine and storage.
 *
 * Three implementations must satisfy it: `LevelStore` over classic-level (embedded, on disk, one
 * owning process), the same over memory-level (in memory), and `PostgresStore` (one database shared
 * by many processes). `@gopherqueue/persistence/testing` exports the contract suite every
 * implementation runs; a guarantee written here and not tested there is a defect.
 *
 * ## Guarantees every implementation gives
 *
 * **Atomicity.** Each method is one atomic step: it happens entirely or not at all, and a reader
 * never observes half of it. `submitBatch` is all or nothing across its jobs.
 *
 * **Durability.** When a mutating method's promise resolves, its effect survives a crash of the
 * process (`SIGKILL`) and, in `durable` mode, of the machine: the write was fsynced. Concurrent
 * calls may share one synced write (group commit). In `relaxed` mode an implementation may
 * acknowledge before the fsync; what was acknowledged in the last moments before a power loss may
 * be lost, but a process crash alone loses nothing, and writes are never reordered: after a restart
 * the store reflects a prefix of the acknowledged history. One exception: `claim` may resolve
 * before its write is durable, so a handler starts without waiting for a disk flush. A claim
 * acknowledges nothing to a producer: if the process crashes before it is durable, the jobs it
 * handed out are runnable again after a restart and run again (delivery is at-least-once), and
 * every later transition of such a job is written after the claim, so none is ever durable
 * without it. (A shared store's claim is seen by every process at once; only a crash of the
 * database itself can forget it.) A claim may also take a job whose own submit is not durable
 * yet (an embedded store applies a step in memory before it writes it): the handler can start
 * before the producer's submit resolves. If the process crashes before that submit is durable,
 * the submit was never acknowledged and the job is gone, though its handler may have run; a
 * producer that retries an unacknowledged submit runs it again, which at-least-once delivery
 * allows.
 *
 * **Compare-and-set transitions.** Every state change checks the job's current state, and for a
 * `running` job its lease token (a fencing token issued fresh by every claim). A caller whose token
 * is not the job's current one gets `GqError(GQ_LEASE_LOST)` and nothing changes: a worker whose
 * lease expired, or whose job was cancelled, can never overwrite the newer state. A transition that
 * the job's state does not allow gets `GQ_INVALID_STATE`. An unknown id gets `GQ_NOT_FOUND`.
 * Recovery adds one more condition: `fail` with {@link FailInput.leaseExpiredBy} fails the job only
 * if, at the moment of the compare-and-set, its lease still expires at or before that time; a lease
 * renewed since it was seen expired (a late heartbeat with the same token) gets `GQ_LEASE_LOST` and
 * nothing changes, so a job is never taken back while its worker is alive and renewing.
 *
 * **Claim order.** `claim` takes jobs that are runnable (`scheduled`, `delayed` or `retrying`)
 * with `runAt <= now`, whose queue is not paused, in strict order: priority (0 first), then
 * `runAt`, then `seq` (submission order). It marks each `running`, increments `attempt`, sets
 * `startedAt`, and gives it a lease (`leaseToken`, `leaseExpiresAt = now + leaseMs`, `workerId`).
 * Concurrent claimers, in one process or many, never receive the same job.
 *
 * **Flow control.** A queue may carry limits (`setQueue`): `concurrency` N lets a claim take a job
 * of the queue only while fewer than N of its jobs are `running` (counted over every process and
 * remote worker of the store), and `rate` N per period only while fewer than N of its jobs
 * started in the window `(now - period, now]` (a sliding window, so no window of the period ever
 * holds more than N starts; see `queue-settings.ts` for its slots). A claim therefore takes at
 * most `min(limit, concurrency - running, rate remaining)` jobs of a limited queue and goes on
 * with other queues' jobs in claim order; the jobs it leaves keep their place. A change of the
 * settings applies to the next claim, on every process. `nextRunAt` counts a queue held back by
 * its rate as due when its window frees a start, and once it has freed one, from that moment (a
 * job's later `runAt` still counts): so a claimer that found the window full just before it freed
 * reads a run-at it has not seen. It leaves out a queue at its concurrency (a job of it leaving
 * `running` is what frees it). An embedded store may keep the window in memory only: after its
 * restart the window starts empty.
 *
 * **Groups and aging.** A job may carry a `group` key; a queue's `groupConcurrency` K lets a
 * claim take a job of a key only while fewer than K jobs of that key and queue are `running`
 * (over every process), and `ordered` lets it take only the key's head (its unfinished job with
 * the smallest `seq`) while none of the key's jobs runs. A job held back keeps its place and a
 * claim goes on with other jobs. A queue's `agingMs` A orders its jobs by effective priority
 * `max(0, priority - floor((now - runAt) / A))`, then `runAt`, then `seq`, against every other
 * job of the claim. See `group-settings.ts`.
 *
 * **Dependencies.** A job submitted with `dependsOn` is `pending` while any of those jobs has not
 * completed (`waitingOn` lists them). Completing a job removes it from its dependents' `waitingOn`
 * in the same atomic step, and a dependent left with none becomes `scheduled` (or `delayed` if its
 * `runAt` is in the future). When a job ends `failed`, `dead_letter` or `cancelled`, or is deleted,
 * every job still waiting on it is cancelled with `cancelReason = 'dependency_failed'`, in the same
 * step, transitively. Submitting a job that depends on a finished-but-unsuccessful job creates it
 * `cancelled` with that reason; one that depends on an unknown id is rejected with `GQ_NOT_FOUND`.
 * A retried job waits again on its dependencies that have not completed; a retry is refused while
 * one of them is failed, dead_letter or cancelled (retry that one first), and one no longer
 * stored (deleted, purged) no longer holds it back.
 *
 * **Idempotency.** Keys are scoped per queue: a key in queue `a` and the same key in queue `b`
 * are unrelated, and each can create its own job. While a job with a given `idempotencyKey` is
 * stored, submitting that key again to the job's queue returns the stored job with
 * `deduplicated: true` and stores nothing, however many submits race; the same holds between
 * the jobs of one `submitBatch`. A submit never returns a job of another queue. The key is
 * released when the job is deleted or purged. A restored job holds its key in its queue.
 *
 * **Unique keys, debounce, expiry** (see `admission.ts`). A job with `unique` holds its key in
 * its queue while `uniqueHolds(job, now)`: until it is first started, until it is finished, or
 * for a duration after its submit. A submit of that key while it holds returns the holder
 * (`deduplicated`, `matched: 'unique'`) and stores nothing; once it no longer holds, the submit
 * creates a new job, which holds the key from then on. A job with `debounce` is created with
 * `runAt = now + waitMs`; a submit with the same debounce key in its queue while that job has
 * never been started (`neverStarted`) stores nothing new: the waiting job takes the new payload
 * and `runAt = min(now + waitMs, createdAt + maxWaitMs)` of the stored job (`matched:
 * 'debounce'`, the updated job returned). Both hold however many submits race, on one process or
 * many. A job whose `expiresAt` passed before it was started is never claimed: `expire` cancels
 * it with `cancelReason = 'expired'` (cancelling its dependents as a cancel does), whatever its
 * queue's pause or its dependencies. A claim never starts one: it cancels it the same way, or
 * passes over it and leaves it to `expire`. A restored job takes its unique and debounce keys
 * in its queue unless a stored job took them (that one keeps them), and `retry` drops a job's
 * `expiresAt`.
 *
 * **Import.** `restore` writes jobs as they were exported from another store (or this one): ids,
 * states, attempts, timestamps, results, errors, checkpoints and keys as given, but each job gets
 * a fresh `seq` from this store, after every `seq` it already handed out, in the order the jobs
 * are given, so restored jobs never share a `seq` with stored ones. A job whose id is already
 * stored is left as it is (the stored one may be newer: never clobbered), and so is a job whose
 * idempotency key another stored job holds in its queue; within one call a repeated id is written
 * once, the first time. So restoring the same jobs twice writes nothing the second time. It
 * returns how many jobs it wrote. Like `submitBatch`, one call is all or nothing. A restored
 * `pending` job is settled against its dependencies as they are then (a stored job, else one of
 * the same call): it no longer waits on one that completed (and becomes runnable when none is
 * left), and is cancelled as `dependency_failed` when one ended failed, dead_letter or cancelled,
 * as a submit would create it; so an import never leaves a job waiting for what already ended.
 *
 * **List order.** `list` returns jobs newest first by id: ids are UUIDv7, so this is creation
 * order, and a restored job is listed by when it was created, not when it was restored. A
 * cursor marks the id of the last job of its page, so paging lists every job matching the filter
 * exactly once, in that order.
 *
 * **No scans.** `claim`, `counts`, `listQueues`, `expiredLeases`, `nextRunAt`, `countDue`, `get`,
 * `list` with a state/type/queue filter and `purgeFinished` cost in proportion to what they
 * return (plus the number of queues and types), never to the number of finished jobs stored.
 * Only `scan` reads all.
 *
 * **Change feed.** `subscribe` delivers a {@link StoreChange} after each change is durable, in the
 * order the changes were made, to listeners in this process, and, for a shared store, for changes
 * made by other processes too (possibly without `job`). Schedulers use it to wake without polling.
 * A store that applies steps before they are durable may also offer `watchRunnable`, a hint
 * without content that comes sooner: once a step of this process has made a job runnable and
 * due, before that step is durable.
 *
 * **Transitions.** Every method that changes a job's state appends `{ state, at, attempt }` to
 * its `transitions` in the same atomic step (`at` the store's clock, `attempt` the job's after the
 * change); a submit writes the first. Nothing else appends: a heartbeat, a debounce that keeps
 * the state, a dependency met while others remain. Past `MAX_TRANSITIONS` the oldest after the
 * first goes (`appendTransition`). A job stored before transitions were recorded has none, and
 * starts them at its next change. `restore` keeps them as exported.
 *
 * **Time.** Timestamps come from the store's clock (ms since the epoch). `runAt`, `createdAt`,
 * `updatedAt`, `startedAt`, `finishedAt` and `leaseExpiresAt` are all on it.
 *
 * **Time bounds.** `submit`, `submitBatch` and `restore` refuse a job whose `runAt` is not a
 * finite time from year 0 to at most `MAX_DELAY_MS` (10 years) plus `RUN_AT_SKEW_MS` (a day, for
 * clocks that differ) ahead of the store's clock, or whose `timeoutMs` or backoff is not finite
 * or past `MAX_TIMEOUT_MS` / `MAX_BACKOFF_MS`; `release` refuses such a `runAt`. The refusal is
 * `GqError(GQ_INVALID_ARGUMENT)` naming the job and the field (`details.field`), and nothing is
 * written: a batch or an import is refused whole, a lease is left as it was. `claim` and
 * `heartbeat` refuse, with a `RangeError`, a `leaseMs` that is not above 0 and at most
 * `MAX_DURATION_MS`.
 */
import type { Job, JobError, JobSpec, Json } from './job.js';
import type { JobLogStore } from './job-logs.js';
import type { JobState } from './job-state.js';
import type { QueuePatch, QueueRate } from './queue-settings.js';
import type { GroupAtLimit, GroupState } from './group-settings.js';
import type { ScheduleStore } from './schedule.js';

/** `durable` fsyncs before acknowledging; `relaxed` may acknowledge before the fsync. */
export type Durability = 'durable' | 'relaxed';

/** What a submit did. */
export interface SubmitResult {
  job: Job;
  /**
   * True when no new job was made: the idempotency or unique key matched a stored job of the
   * same queue (returned unchanged), or a debounce key matched a waiting one (returned updated).
   */
  deduplicated: boolean;
  /** Which key matched, when `deduplicated` by a unique or debounce key (absent: idempotency). */
  matched?: 'unique' | 'debounce';
}

/** Options of {@link Store.claim}. */
export interface ClaimOptions {
  /** Recorded as the lease holder. */
  workerId: string;
  /** At most this many jobs. */
  limit: number;
  /** Lease length from now. */
  leaseMs: number;
  /** Only jobs of these types (a worker that has handlers for some types only). */
  types?: readonly string[];
  /** Only jobs of these queues. */
  queues?: readonly string[];
  /**
   * Jobs a worker holds ahead of a free slot (its `claimAhead`): the claim takes no job of a
   * queue with `concurrency`, `rate`, per-key limits or `ordered` keys, where a job held but not
   * running would take a slot of the limit from one that could run elsewhere (PostgreSQL passes
   * over queues that age too, as its ordinary claim does).
   */
  ahead?: boolean;
}

/** Input of {@link Store.heartbeat}. */
export interface HeartbeatInput {
  /** The lease is extended to now + leaseMs. */
  leaseMs: number;
  /** Saved as the job's checkpoint when given; `null` clears the saved one. */
  checkpoint?: Json;
  /** Saved as the job's progress when given. */
  progress?: Json;
  progressMessage?: string;
}

/** An error as a worker reports it; the store adds `attempt` and `at`. */
export type FailureReport = Omit<JobError, 'attempt' | 'at'>;

/** Where a failed attempt leads; the engine's retry policy decides, the store applies. */
export type FailOutcome =
  { state: 'retrying'; runAt: number } | { state: 'failed' } | { state: 'dead_letter' };

/** Input of {@link Store.fail}. */
export interface FailInput {
  error: FailureReport;
  outcome: FailOutcome;
  /**
   * For recovery of an expired lease: fail the job only if, in the same compare-and-set as the
   * token check, its `leaseExpiresAt <= leaseExpiredBy`. A lease renewed past this time gets
   * `GQ_LEASE_LOST` and the job stays `running` with its new expiry. Omitted by workers failing
   * their own attempt, and by startup recovery on an exclusive store (every running job there is
   * orphaned). @defaultValue undefined (no expiry check)
   */
  leaseExpiredBy?: number;
}

/** Input of {@link Store.release}. */
export interface ReleaseInput {
  /** When it may run again. @defaultValue now */
  runAt?: number;
}

/** Input of {@link Store.retry}. */
export interface RetryInput {
  /** Set `attempt` back to 0 so the job gets its full `maxAttempts` again. @defaultValue false */
  resetAttempts?: boolean;
}

/** Filters of {@link Store.list}; all given filters must match. */
export interface ListFilter {
  state?: JobState;
  type?: string;
  queue?: string;
  priority?: number;
  /** Jobs whose `tags[key] === value`. */
  tag?: { key: string; value: string };
  /**
   * The dependents of this job: jobs whose `dependsOn` lists it, in every state, for as long as
   * they are stored (not only those still waiting on it). Answered from an index, never a scan.
   */
  dependsOn?: string;
  /** @defaultValue 50; at most 1000 */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/** One page of {@link Store.list}, newest job (greatest id) first. */
export interface ListPage {
  jobs: Job[];
  /** Present when more jobs may follow. */
  nextCursor?: string;
}

/** Counts of jobs, kept as the jobs change (never computed by a scan). */
export interface JobCounts {
  total: number;
  byState: Record<JobState, number>;
  /** Per state, five numbers: jobs at priority 0..4. */
  byPriority: Record<JobState, [number, number, number, number, number]>;
}

/** Input of {@link Store.countDue}. */
export interface CountDueInput {
  /** Leave out jobs of these types. @defaultValue none */
  excludeTypes?: readonly string[];
  /** Count each type up to this many jobs. @defaultValue 1000 */
  limit?: number;
  /** At most this many types, the first by name among those with a due job. @defaultValue 100 */
  maxTypes?: number;
}

/** One type's count of {@link Store.countDue}. */
export interface DueCount {
  type: string;
  /** Due runnable jobs of this type, counted up to the input's `limit`. */
  count: number;
}

/** A named queue. */
export interface QueueInfo {
  name: string;
  paused: boolean;
  /** At most this many of its jobs running at once; null: no limit. */
  concurrency: number | null;
  /** At most this many starts per period; null: no limit. */
  rate: QueueRate | null;
  /** At most this many running jobs per `group` key; absent: no limit. */
  groupConcurrency?: number;
  /** Strict FIFO per `group` key; absent: not ordered. */
  ordered?: true;
  /** One priority level gained per this many ms waited; absent: strict priority. */
  agingMs?: number;
  byState: Record<JobState, number>;
  /**
   * The earliest `runAt` among its runnable jobs whose `runAt` has come (paused or not): how
   * long its longest-waiting job has been waiting. Absent when none is due.
   */
  oldestWaitingAt?: number;
}

/** A queue with the state of its limits, as {@link Store.getQueue} reads it. */
export interface QueueState extends QueueInfo {
  /** Starts its rate allows now (null without a rate). */
  rateRemaining: number | null;
  /** When its rate allows the next start, when it allows none now. */
  nextStartAt?: number;
  /**
   * With a per-key limit (`groupConcurrency` or `ordered`): the keys whose running jobs reach it,
   * by key, at most `MAX_GROUPS_LISTED`.
   */
  groupsAtLimit?: GroupAtLimit[];
}

/** Input of {@link Store.purgeFinished}. */
export interface PurgeInput {
  /** Which finished states to purge. */
  states: readonly ('completed' | 'failed' | 'dead_letter' | 'cancelled')[];
  /** Purge jobs that finished strictly before this time. */
  finishedBefore: number;
  /** At most this many in one call. @defaultValue 1000 */
  limit?: number;
}

/** A change, as the change feed reports it. */
export interface StoreChange {
  kind: 'created' | 'updated' | 'progress' | 'deleted' | 'queue';
  /** The job's id, or the queue's name for `queue`. */
  id: string;
  /** The job's state after the change (before it, for `deleted`). */
  state?: JobState;
  /** The state before the change (absent for `created`). */
  previous?: JobState;
  queue?: string;
  runAt?: number;
  /**
   * The job's attempt after the change. Set with the job's other fields on a change from another
   * process, which comes without `job`: it tells a late report of an earlier attempt from news of
   * the current one.
   */
  attempt?: number;
  /** The job after the change, when the store has it at hand. */
  job?: Job;
}

/** Small durable key-value space for other components (API keys, audit log, settings). */
export interface MetaStore {
  get(key: string): Promise<Json | undefined>;
  put(key: string, value: Json): Promise<void>;
  delete(key: string): Promise<void>;
  /** Entries whose key starts with `prefix`, in key order (reverse: descending). */
  list(
    prefix: string,
    options?: { limit?: number; reverse?: boolean; after?: string },
  ): Promise<{ key: string; value: Json }[]>;
}

/** See the file comment for what every implementation guarantees. */
export interface Store {
  /**
   * True when one process owns the store (the embedded store): at startup no other worker can be
   * running its jobs, so recovery may take back every `running` job at once.
   */
  readonly exclusive: boolean;

  /**
   * How many jobs a worker pool claims ahead of its free slots by default while work is backed
   * up (its `claimAhead`): worth it where each claim is a round trip to a database, so a backlog
   * is taken in fewer, larger claims. Absent: 0.
   */
  readonly claimAhead?: number;

  /** Stores one job. @throws GQ_CONFLICT when the id exists, GQ_NOT_FOUND for an unknown dependency. */
  submit(spec: JobSpec): Promise<SubmitResult>;
  /** Stores all jobs or none; a job may depend on an earlier one in the same batch. */
  submitBatch(specs: readonly JobSpec[]): Promise<SubmitResult[]>;

  /** The job, or undefined. */
  get(id: string): Promise<Job | undefined>;
  /** The jobs in `ids`' order, undefined where unknown. */
  getMany(ids: readonly string[]): Promise<(Job | undefined)[]>;
  /**
   * Jobs matching the filter, newest first (by id: see **List order**), with cursor pagination.
   * @throws GQ_INVALID_ARGUMENT (details `{ field: 'cursor' }`) for a cursor this store did not
   * give: a malformed one never restarts the listing at the first page.
   */
  list(filter?: ListFilter): Promise<ListPage>;
  counts(): Promise<JobCounts>;

  /** Takes up to `limit` runnable jobs in claim order and leases them. */
  claim(options: ClaimOptions): Promise<Job[]>;
  /** Extends the lease and saves checkpoint/progress. @throws GQ_LEASE_LOST */
  heartbeat(id: string, token: string, input: HeartbeatInput): Promise<Job>;
  /**
   * running -> completed, storing the result. The job's progress becomes 100, unless the handler
   * reported an object (or array) of its own, which is kept. @throws GQ_LEASE_LOST
   */
  complete(id: string, token: string, result: Json): Promise<Job>;
  /** running -> retrying, failed or dead_letter, recording the error. @throws GQ_LEASE_LOST */
  fail(id: string, token: string, input: FailInput): Promise<Job>;
  /**
   * running -> scheduled without spending the attempt: at once (graceful shutdown) or at a later
   * `runAt` (a handler's snooze). @throws GQ_LEASE_LOST
   */
  release(id: string, token: string, input?: ReleaseInput): Promise<Job>;

  /** Any non-terminal -> cancelled; a running job loses its lease. @throws GQ_INVALID_STATE if finished */
  cancel(id: string, reason?: string): Promise<Job>;
  /**
   * failed, dead_letter or cancelled -> scheduled, or `pending` on those of its dependencies
   * (still stored) that have not completed. @throws GQ_INVALID_STATE otherwise, and while one of
   * its dependencies is failed, dead_letter or cancelled (`details.dependsOn` names it)
   */
  retry(id: string, input?: RetryInput): Promise<Job>;
  /** Removes a job that is not running. @throws GQ_INVALID_STATE for a running job */
  delete(id: string): Promise<Job>;

  /**
   * Cancels, with reason `expired`, up to `limit` jobs never started whose `expiresAt` passed on
   * the store's clock (whatever their state before start: pending, delayed, scheduled, in a
   * paused queue), earliest expiry first, and returns them. Costs in proportion to what it
   * cancels.
   */
  expire(limit: number): Promise<Job[]>;
  /** Running jobs whose lease expired at or before `now`, oldest expiry first. */
  expiredLeases(now: number, limit: number): Promise<Job[]>;
  /** The earliest `runAt` among runnable jobs in unpaused queues, or undefined if none. */
  nextRunAt(): Promise<number | undefined>;
  /**
   * Runnable jobs whose `runAt` has come (what a claim of their type could take now, paused
   * queues included), counted per type, each type up to `limit`, types with none left out.
   * Costs in proportion to the types of runnable jobs plus what it counts, never to the backlog:
   * for gauges of jobs that wait for a worker of their type.
   */
  countDue(input?: CountDueInput): Promise<DueCount[]>;
  /** Deletes finished jobs (and frees their idempotency keys); returns how many. */
  purgeFinished(input: PurgeInput): Promise<number>;

  /** Queues that hold jobs or have settings (paused, a limit), by name. */
  listQueues(): Promise<QueueInfo[]>;
  /** One queue now; a queue never seen reads as unpaused, unlimited and empty. */
  getQueue(name: string): Promise<QueueState>;
  /**
   * Changes a queue's settings (see **Flow control**): given fields change, null clears a limit.
   * Durable on return and announced on the change feed (`kind: 'queue'`).
   * @throws GQ_INVALID_ARGUMENT naming the field (`details.field`) for a bad value; nothing changes.
   */
  setQueue(name: string, patch: QueuePatch): Promise<QueueState>;
  /** One `group` key of a queue now: its running jobs and its head (see `group-settings.ts`). */
  getGroup(queue: string, group: string): Promise<GroupState>;
  /** `setQueue(name, { paused: true })`. */
  pauseQueue(name: string): Promise<void>;
  /** `setQueue(name, { paused: false })`. */
  resumeQueue(name: string): Promise<void>;

  /** Every job, in id order: for export. Costs a full read. */
  scan(): AsyncIterable<Job>;
  /**
   * Writes jobs as another store exported them (import), keeping every field but `seq`, and
   * returns how many were written. See **Import** in the file comment: a job whose id is stored,
   * or whose idempotency key another job holds in its queue, is left out; restoring the same
   * jobs again writes nothing.
   */
  restore(jobs: readonly Job[]): Promise<number>;

  /** Key-value space for other components. */
  readonly meta: MetaStore;

  /** Recurring schedules (see `schedule.ts` for what they guarantee). */
  readonly schedules: ScheduleStore;
  /** The log lines handlers wrote, per job and attempt (see `job-logs.ts`). */
  readonly logs: JobLogStore;

  /** Listens to the change feed; returns the unsubscribe function. */
  subscribe(listener: (change: StoreChange) => void): () => void;

  /**
   * Optional. Calls `listener`, in a microtask, after a step of this process has made a job
   * runnable with its `runAt` come (a submit, a release, a retry), before that step is durable,
   * at most once per microtask turn whatever the step's size. A hint to claim at once, so a
   * handler starts while the submit's write is still being synced; it carries nothing, and the
   * change feed still reports every change once durable. Returns the function that stops it.
   */
  watchRunnable?(listener: () => void): () => void;

  /** Resolves when the store answers; for health checks. */
  ping(): Promise<void>;
  /** Approximate bytes on disk (or in memory). */
  sizeBytes(): Promise<number>;
  /** Flushes and closes; later calls fail with GQ_STORE_CLOSED. */
  close(): Promise<void>;
}
