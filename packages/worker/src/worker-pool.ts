import { ErrorCode, GqError, type Job } from '@gopherqueue/core';
import { abortKindFor } from './abort-reason.js';
import { Attempt, type AttemptEnv } from './attempt.js';
import { JobLogWriter } from './job-log-writer.js';
import type { AttemptOutcome } from './attempt-end.js';
import { errorMessage } from './failure-report.js';
import type { Component, ComponentStatus } from '@gopherqueue/core';
import type { Handler } from './job-context.js';
import { DeadlineQueue } from './deadline-queue.js';
import { weightedOrder } from './queue-weights.js';
import { retryDelayMs, sleep } from './sleep.js';
import type { JobChange, WorkRequest } from './work-source.js';
import { openSandboxPool } from './sandbox/sandbox-pool.js';
import {
  isSandboxedHandler,
  type IsolatedHandler,
  type SandboxedHandler,
} from './sandbox/sandboxed-handler.js';
import {
  resolveWorkerPoolOptions,
  type ResolvedWorkerPoolOptions,
  type WorkerPoolOptions,
} from './worker-pool-options.js';

/** Counters of a {@link WorkerPool}. */
export interface WorkerPoolStats {
  concurrency: number;
  /** Handlers running now. */
  busy: number;
  /** Attempts that completed their job. */
  completed: number;
  /** Attempts that failed (whether the job retries or not). */
  failed: number;
  /** Jobs claimed ahead and waiting for a slot (see `claimAhead`). */
  held: number;
}

const TYPE_NAME = /^[A-Za-z0-9_.:\-/]{1,200}$/;
/** Ends being written at once, in units of `concurrency`. */
const FINISHING_BOUND = 4;
/**
 * Claiming ahead holds at most as many jobs as handlers settled in the last window this long (or
 * the one before it), so a held job waits about this long for a slot while the rate holds.
 */
const AHEAD_WINDOW_MS = 250;
/**
 * A job held this long (or half its lease, if shorter) goes back to the store unrun: the rate it
 * was claimed at was not kept up (slower handlers came next), and another worker may be idle.
 */
const AHEAD_HOLD_MS = 1_000;
/** A job claimed ahead of a free slot, waiting for one. */
interface HeldJob {
  job: Job;
  /** When it was claimed (the pool's clock). */
  at: number;
  /** Set when the job was cancelled or taken back while held: it is dropped unrun. */
  lost: boolean;
  /** Set when its queue's settings changed (a pause) while held: it goes back unrun. */
  giveBack?: boolean;
}

/**
 * Claims jobs from its {@link WorkSource} in batches of up to its free slots and runs their
 * handlers: the TypeScript form of the original's worker pool, with leases, heartbeats,
 * timeouts, cancellation and a graceful stop that loses nothing. When nothing is claimable it
 * waits in the source's claim (the scheduler's wake-up in process, a long-poll over HTTP), so it
 * never polls. The same pool runs inside `gq serve` and as `gq work`.
 */
export class WorkerPool implements Component {
  readonly #options: ResolvedWorkerPoolOptions;
  readonly #handlers = new Map<string, Handler | IsolatedHandler>();
  /** Sandbox pools of handlers registered again; closed by {@link WorkerPool.stop}. */
  readonly #replaced: IsolatedHandler[] = [];
  readonly #running = new Map<string, Attempt>();
  readonly #env: AttemptEnv;
  /** Attempts whose end is not written yet. */
  #live = 0;
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;
  #stopController = new AbortController();
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #status: ComponentStatus = 'stopped';
  #unsubscribe: (() => Promise<void>) | undefined;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #slotFreed: (() => void) | undefined;
  /** Handlers running now; a slot is freed when its handler settles. */
  #busy = 0;
  /** Attempts whose handler settled and whose end is being written. */
  #finishing = 0;
  #completed = 0;
  #failed = 0;
  /** Jobs claimed ahead of a free slot (see `claimAhead`), in claim order, with their claim time. */
  #ahead: HeldJob[] = [];
  /** The held jobs by id, for news of one that left `running` while held. */
  readonly #held = new Map<string, HeldJob>();
  #aheadAt = 0;
  #startQueued = false;
  /** Handlers settled in the current window of {@link AHEAD_WINDOW_MS}, and in the one before. */
  #settledNow = 0;
  #settledBefore = 0;
  #windowAt = 0;
  /** Cancels the timer that gives back the oldest held job once it was held too long. */
  #holdTimer: (() => void) | undefined;
  /** Attempts of held jobs given back unrun: their end is no settled handler. */
  readonly #unrun = new WeakSet<Attempt>();

  /** @throws TypeError or RangeError naming the offending option. */
  constructor(options: WorkerPoolOptions) {
    const o = (this.#options = resolveWorkerPoolOptions(options));
    this.#env = {
      source: o.source,
      clock: o.clock,
      logger: o.logger,
      jobLogs:
        o.source.appendLogs === undefined
          ? undefined
          : new JobLogWriter({
              sink: (entries) => o.source.appendLogs?.(entries) ?? Promise.resolve(),
              clock: o.clock,
              logger: o.logger,
            }),
      leaseMs: o.leaseMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      timeoutGraceMs: o.timeoutGraceMs,
      leases: new DeadlineQueue(o.clock, (attempt) => {
        attempt.heartbeat();
      }),
      timeouts: new DeadlineQueue(o.clock, (attempt) => {
        attempt.abort('timeout');
      }),
      handlerDone: (attempt) => {
        this.#handlerDone(attempt);
      },
      ended: (attempt, outcome) => {
        this.#ended(attempt, outcome);
      },
    };
  }

  /** This pool's lease-holder id. */
  get workerId(): string {
    return this.#options.workerId;
  }

  /** `running` from {@link WorkerPool.start}, `stopping` during {@link WorkerPool.stop}. */
  get status(): ComponentStatus {
    return this.#status;
  }

  /**
   * Registers the handler of a job type (replacing an earlier one): a function, run inline, or a
   * {@link SandboxedHandler} (`{ module, isolation: 'thread' | 'process', ... }`), run in warm
   * sandboxes kept for this type and ended by {@link WorkerPool.stop}.
   * @throws TypeError or RangeError for a bad type name or handler, naming the field.
   */
  register(type: string, handler: Handler | SandboxedHandler): this {
    if (typeof type !== 'string' || !TYPE_NAME.test(type)) {
      throw new TypeError(`type must be a job type name; got ${JSON.stringify(type)}`);
    }
    let entry: Handler | IsolatedHandler;
    if (typeof handler === 'function') {
      entry = handler;
    } else if (isSandboxedHandler(handler)) {
      entry = openSandboxPool(type, handler, this.#options);
    } else {
      throw new TypeError(
        `the handler of "${type}" must be a function or { module, isolation }; got ${typeof handler}`,
      );
    }
    const earlier = this.#handlers.get(type);
    if (earlier !== undefined && typeof earlier !== 'function') this.#replaced.push(earlier);
    this.#handlers.set(type, entry);
    return this;
  }

  /** The registered job types. */
  types(): string[] {
    return [...this.#handlers.keys()];
  }

  /**
   * The job types this pool claims: its registered types with `unknownTypes: 'wait'`, or
   * undefined (every type) with `'fail'`.
   */
  claimedTypes(): string[] | undefined {
    return this.#claimTypes();
  }

  /** The jobs whose handlers are running now (or whose end is being written). */
  runningJobs(): Job[] {
    return [...this.#running.values()].map((attempt) => attempt.job);
  }

  /**
   * Starts claiming; the pool keeps the process alive until {@link WorkerPool.stop}.
   * @throws GQ_INVALID_STATE when already started, or when the source cannot serve yet (a
   * store's scheduler is not started).
   */
  start(): void {
    if (this.#loop !== undefined) {
      throw new GqError(ErrorCode.INVALID_STATE, 'the worker pool is already started');
    }
    this.#status = 'starting';
    try {
      this.#unsubscribe = this.#options.source.watch(this.#options.workerId, (change) => {
        this.#onChange(change);
      });
    } catch (err) {
      this.#status = 'stopped';
      throw err;
    }
    this.#stopController = new AbortController();
    // Like a server socket, a started pool keeps Node running; the clock's timers do not.
    this.#keepAlive = setInterval(() => {}, 2 ** 30);
    this.#loop = this.#run();
    this.#status = 'running';
  }

  /**
   * Stops claiming, lets running handlers finish for up to `shutdownTimeoutMs`, then aborts the
   * rest, waits up to `timeoutGraceMs` for them, and releases their jobs to `scheduled` without
   * spending an attempt. Resolves when every job's end is written.
   */
  stop(): Promise<void> {
    if (this.#loop === undefined) return Promise.resolve();
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  /** Current counters. */
  stats(): WorkerPoolStats {
    return {
      concurrency: this.#options.concurrency,
      busy: this.#busy,
      completed: this.#completed,
      failed: this.#failed,
      held: this.#held.size,
    };
  }

  async #shutdown(): Promise<void> {
    const { clock, shutdownTimeoutMs, logger } = this.#options;
    this.#status = 'stopping';
    this.#stopController.abort(new GqError(ErrorCode.SHUTTING_DOWN, 'the worker pool is stopping'));
    this.#slotFreed?.();
    await this.#loop;
    if (this.#live > 0) {
      logger.info('waiting for running jobs', { running: this.#running.size });
      let cancelTimer: (() => void) | undefined;
      const timedOut = new Promise<void>((resolve) => {
        cancelTimer = clock.setTimer(resolve, shutdownTimeoutMs);
      });
      await Promise.race([this.#whenDrained(), timedOut]);
      cancelTimer?.();
      for (const attempt of this.#running.values()) attempt.abort('shutdown');
      await this.#whenDrained();
    }
    await this.#closeSandboxes();
    await this.#env.jobLogs?.close();
    this.#env.leases.clear();
    this.#env.timeouts.clear();
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    await unsubscribe?.();
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    this.#loop = undefined;
    this.#stopping = undefined;
    this.#status = 'stopped';
  }

  /** Ends every sandbox once no attempt runs; a later start opens new ones on demand. */
  async #closeSandboxes(): Promise<void> {
    const entries = [...this.#handlers.values(), ...this.#replaced.splice(0)];
    const isolated = entries.filter((entry) => typeof entry !== 'function');
    await Promise.all(isolated.map((entry) => entry.close()));
  }

  async #run(): Promise<void> {
    const { concurrency, claimBatchSize, workerId, leaseMs, queues, logger } = this.#options;
    const signal = this.#stopController.signal;
    let failures = 0;
    // The last claim for free slots filled them all: the queues hold more.
    let filled = false;
    while (!signal.aborted) {
      this.#startAhead();
      const free = concurrency - this.#busy;
      // A free slot is claimed for as before; with every slot busy the pool claims ahead alone,
      // in a claim of its own that passes over limited queues (`ahead`).
      const ahead = free <= 0;
      const aheadRoom = this.#aheadAllowed() - this.#heldAhead();
      const room = ahead ? aheadRoom : free;
      // Writing ends overlaps claiming the next jobs, within a bound on the ends in flight. The
      // bound leaves room for two rounds of ends (the last one's are counted down a few
      // microtasks after their batch is written), so a claim joins the same store batch as the
      // ends written just before it instead of waiting for the next one.
      if (room <= 0 || this.#finishing >= FINISHING_BOUND * concurrency) {
        await this.#nextSlot();
        continue;
      }
      // Handlers that settle as soon as they start leave every slot free again by the time a
      // claim has filled them, so the pool never finds them all busy and would claim a round
      // trip per `concurrency` jobs. After a claim that filled every slot, the claim for the
      // free slots therefore goes with a claim ahead sent right after it, when the pool has
      // earned room; the jobs it holds start as slots free, after the first claim's.
      const alsoAhead = !ahead && filled && aheadRoom > 0;
      // Only a pool with a free slot (so nothing held) waits for work; claiming ahead does not,
      // nor a claim that goes with one (its held jobs would wait on it).
      const wait = !ahead && !alsoAhead;
      const types = this.#claimTypes();
      const request: WorkRequest = {
        workerId,
        limit: Math.min(room, claimBatchSize ?? room),
        leaseMs,
        concurrency,
        ...(types === undefined ? {} : { types }),
        ...(queues === undefined ? {} : { queues }),
        ...(ahead ? { ahead } : {}),
        ...(wait ? {} : { wait: false }),
      };
      let jobs: Job[];
      let heldClaim: Promise<Job[]> | undefined;
      try {
        const claim = this.#claim(request, signal);
        if (alsoAhead) {
          const limit = Math.min(aheadRoom, claimBatchSize ?? aheadRoom);
          heldClaim = this.#claimAhead({ ...request, limit, ahead: true, wait: false }, signal);
        }
        jobs = await claim;
        failures = 0;
      } catch (err) {
        // The jobs of a claim ahead that went with it are held as any others (and given back
        // unrun if the pool stops).
        if (heldClaim !== undefined) this.#hold(await heldClaim);
        if (signal.aborted) break;
        failures++;
        logger.warn('claim failed; retrying', { error: errorMessage(err), failures });
        await sleep(this.#options.clock, retryDelayMs(failures), signal);
        continue;
      }
      // A claim for free slots that could not fill them found the queues dry: the settles counted
      // so far measured a backlog that is gone, and earn the next one nothing ahead (after a
      // burst of quick jobs, a node would otherwise take a slow burst all for itself).
      if (!ahead && jobs.length < request.limit) this.#settledNow = this.#settledBefore = 0;
      filled = !ahead && jobs.length === request.limit;
      if (ahead) this.#hold(jobs);
      else this.#launchAll(jobs, signal.aborted);
      if (heldClaim !== undefined) this.#hold(await heldClaim);
      if (jobs.length === 0 && !wait && this.#busy >= concurrency) await this.#nextSlot();
    }
    // Jobs held ahead go back at once, their attempt not spent.
    this.#startAhead();
  }

  /**
   * A claim ahead sent beside a claim for free slots: it never rejects (a failure is logged and
   * holds nothing), so it can wait unobserved until that claim has answered.
   */
  async #claimAhead(request: WorkRequest, signal: AbortSignal): Promise<Job[]> {
    try {
      return await this.#claim(request, signal);
    } catch (err) {
      if (!signal.aborted) {
        this.#options.logger.warn('claim ahead failed', { error: errorMessage(err) });
      }
      return [];
    }
  }

  /** Runs the jobs of a claim for free slots, each in its slot. */
  #launchAll(jobs: readonly Job[], giveBack: boolean): void {
    for (const job of jobs) {
      if (!this.#leased(job)) continue;
      this.#launch(job, giveBack);
    }
  }

  /** Holds the jobs of a claim ahead until a slot frees (or they are held too long). */
  #hold(jobs: readonly Job[]): void {
    if (jobs.length === 0) return;
    const at = this.#options.clock.now();
    for (const job of jobs) {
      if (!this.#leased(job)) continue;
      const held: HeldJob = { job, at, lost: false };
      this.#ahead.push(held);
      this.#held.set(job.id, held);
    }
    this.#armHold();
  }

  #leased(job: Job): boolean {
    if (job.leaseToken !== undefined) return true;
    // A source that breaks the contract; the job's lease will lapse and recovery take it.
    this.#options.logger.error('claimed a job without a lease token; skipping it', {
      jobId: job.id,
    });
    return false;
  }

  #nextSlot(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#slotFreed = () => {
        this.#slotFreed = undefined;
        resolve();
      };
    });
  }

  /** Jobs claimed and waiting for a slot. */
  #heldAhead(): number {
    return this.#ahead.length - this.#aheadAt;
  }

  /**
   * How many jobs may wait claimed for a slot now: none until handlers settle, then at most as
   * many as settled in the last {@link AHEAD_WINDOW_MS} (or the window before) since the queues
   * last ran dry, and never more than `claimAhead`. Slow handlers therefore earn few jobs held
   * ahead, and the rate of a burst that ended earns nothing for the next one.
   */
  #aheadAllowed(): number {
    const limit = this.#options.claimAhead;
    if (limit === 0) return 0;
    this.#roll(this.#options.clock.now());
    return Math.min(limit, Math.max(this.#settledNow, this.#settledBefore));
  }

  /** How long a job may be held before it goes back unrun. */
  #holdMs(): number {
    return Math.min(AHEAD_HOLD_MS, this.#options.leaseMs / 2);
  }

  /**
   * Arms the timer that gives back the oldest held job when it was held too long, so jobs held
   * behind handlers that all run long go back even though no slot frees.
   */
  #armHold(): void {
    if (this.#holdTimer !== undefined || this.#heldAhead() === 0) return;
    const { clock } = this.#options;
    const front = this.#ahead[this.#aheadAt] as HeldJob;
    const ms = Math.max(0, front.at + this.#holdMs() - clock.now()) + 1;
    this.#holdTimer = clock.setTimer(() => {
      this.#holdTimer = undefined;
      this.#startAhead();
    }, ms);
  }

  #roll(now: number): void {
    if (now - this.#windowAt < AHEAD_WINDOW_MS) return;
    this.#settledBefore = now - this.#windowAt < 2 * AHEAD_WINDOW_MS ? this.#settledNow : 0;
    this.#settledNow = 0;
    this.#windowAt = now;
  }

  /**
   * Starts held jobs in the free slots, in claim order. Jobs held longer than {@link #holdMs}
   * (the oldest first, whether a slot is free or not) and every job while the pool stops go
   * back without running, their attempt not spent.
   */
  #startAhead(): void {
    const { concurrency, clock } = this.#options;
    const stopping = this.#stopController.signal.aborted;
    const expired = clock.now() - this.#holdMs();
    while (this.#heldAhead() > 0) {
      const { job, at, lost, giveBack: queueChanged } = this.#ahead[this.#aheadAt] as HeldJob;
      const giveBack = stopping || at < expired || queueChanged === true;
      if (!giveBack && this.#busy >= concurrency) break;
      this.#ahead[this.#aheadAt] = undefined as unknown as HeldJob;
      this.#aheadAt++;
      this.#held.delete(job.id);
      // Cancelled or taken back while held: nothing to run, nor to give back.
      if (lost) continue;
      this.#launch(job, giveBack);
    }
    // A timer armed for an earlier front stays: when it fires early it finds nothing to give
    // back and arms for the front then, so a drain sets no timer per job.
    if (stopping) {
      this.#holdTimer?.();
      this.#holdTimer = undefined;
    } else {
      this.#armHold();
    }
    // The taken front goes when the list is empty, or when it is 1,024 entries and at least
    // half the list (in a drain the list is seldom empty).
    const taken = this.#aheadAt;
    if (taken === 0) return;
    if (taken === this.#ahead.length || (taken >= 1024 && taken * 2 >= this.#ahead.length)) {
      this.#ahead = taken === this.#ahead.length ? [] : this.#ahead.slice(taken);
      this.#aheadAt = 0;
    }
  }

  /**
   * One claim round. With queue weights: queue by queue in a weighted random order, each claim
   * answering at once, until the free slots are filled; when every queue was empty, one claim
   * over all of them that waits for work, as a pool without weights does.
   */
  async #claim(request: WorkRequest, signal: AbortSignal): Promise<Job[]> {
    const { source, queueWeights, random, logger } = this.#options;
    if (queueWeights === undefined) return source.claim(request, signal);
    const jobs: Job[] = [];
    for (const queue of weightedOrder(queueWeights, random)) {
      if (signal.aborted || jobs.length >= request.limit) break;
      const limit = request.limit - jobs.length;
      try {
        jobs.push(
          ...(await source.claim({ ...request, limit, queues: [queue], wait: false }, signal)),
        );
      } catch (err) {
        // The jobs claimed already hold leases: run them, and claim again next round.
        if (jobs.length === 0) throw err;
        logger.warn('claim failed; running the jobs claimed before it', {
          error: errorMessage(err),
          queue,
        });
        break;
      }
    }
    if (jobs.length > 0 || signal.aborted) return jobs;
    return source.claim({ ...request, queues: queueWeights.map(([queue]) => queue) }, signal);
  }

  #claimTypes(): string[] | undefined {
    return this.#options.unknownTypes === 'wait' ? [...this.#handlers.keys()] : undefined;
  }

  /**
   * Runs one claimed job; with `giveBack` (claimed while stopping, or held too long) it is
   * released at once.
   */
  #launch(job: Job, giveBack: boolean): void {
    const attempt = new Attempt(this.#env, job, this.#handlers.get(job.type));
    this.#busy++;
    this.#live++;
    this.#running.set(job.id, attempt);
    if (giveBack) {
      this.#unrun.add(attempt);
      attempt.abort('shutdown');
    }
    void attempt.run();
  }

  #handlerDone(attempt: Attempt): void {
    this.#busy--;
    this.#finishing++;
    if (this.#options.claimAhead > 0) {
      this.#roll(this.#options.clock.now());
      if (!this.#unrun.has(attempt)) this.#settledNow++;
      // Refill the slot from the jobs held, even while a claim is in flight; in a microtask,
      // since a handler may settle within its own launch.
      if (this.#heldAhead() > 0 && !this.#startQueued) {
        this.#startQueued = true;
        queueMicrotask(() => {
          this.#startQueued = false;
          this.#startAhead();
        });
      }
    }
    this.#slotFreed?.();
  }

  #ended(attempt: Attempt, outcome: AttemptOutcome): void {
    if (outcome === 'completed') this.#completed++;
    else if (outcome === 'failed') this.#failed++;
    if (attempt.settled) this.#finishing--;
    else this.#busy--;
    // The same job may have been claimed again after this attempt lost its lease.
    if (this.#running.get(attempt.job.id) === attempt) this.#running.delete(attempt.job.id);
    this.#live--;
    if (this.#live === 0 && this.#resolveDrained !== undefined) {
      this.#resolveDrained();
      this.#resolveDrained = undefined;
      this.#drained = undefined;
    }
    this.#slotFreed?.();
  }

  /** Resolves when every attempt's end is written. */
  #whenDrained(): Promise<void> {
    if (this.#live === 0) return Promise.resolve();
    return (this.#drained ??= new Promise<void>((resolve) => {
      this.#resolveDrained = resolve;
    }));
  }

  /** Aborts a running handler whose job left `running` under it (cancelled, taken back). */
  #onChange(change: JobChange): void {
    if (change.kind === 'queue') {
      // A pause must keep the queue's held jobs from starting: every change of its settings
      // gives them back unrun, their attempt not spent (if it was not a pause, they are
      // claimed again).
      let changed = false;
      for (const held of this.#held.values()) {
        if (held.job.queue !== change.id || held.lost) continue;
        held.giveBack = true;
        changed = true;
      }
      if (changed) this.#startAhead();
      return;
    }
    const attempt = this.#running.get(change.id);
    if (attempt === undefined) {
      const held = this.#held.get(change.id);
      if (held !== undefined && abortKindFor(change, held.job) !== undefined) held.lost = true;
      return;
    }
    const kind = abortKindFor(change, attempt.job);
    if (kind !== undefined) attempt.abort(kind);
  }
}
