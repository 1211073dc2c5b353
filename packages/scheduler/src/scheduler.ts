import {
  isTerminal,
  noopLogger,
  RUNNABLE_STATES,
  systemClock,
  type Clock,
  type Component,
  type ComponentStatus,
  type JobSpec,
  type Logger,
  type Store,
  type StoreChange,
  type SubmitResult,
} from '@gopherqueue/core';
import { RunAtTimer } from './run-at-timer.js';

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** Where jobs live; its change feed drives the wake-ups. */
  store: Store;
  /** Time source for the run-at timer; use the store's clock. @defaultValue systemClock */
  clock?: Clock;
  /** @defaultValue noopLogger */
  logger?: Logger;
  /**
   * A slow safety net, not the hot path: every this many ms the scheduler wakes its waiters and
   * re-reads the earliest run-at, in case a change it could not see (another process on a shared
   * store without notifications) made work claimable. 0 turns it off.
   * @defaultValue 5000
   */
  recheckIntervalMs?: number;
}

interface Waiter {
  resolve: () => void;
  signal: AbortSignal | undefined;
}

/**
 * Decides when work may be claimable and wakes the claimers: at once when the store's change
 * feed reports a job that became runnable (submitted, retried, released, a dependency completed,
 * a queue resumed), and by ONE timer on the injected clock for the earliest future `runAt` it
 * knows of; it remembers the later ones the change feed reported too (see {@link RunAtTimer}),
 * so a due job that no claimer takes (no worker has its type) does not hide them.
 * For a queue with a limit (concurrency or rate) it also wakes them when a job of the queue
 * leaves `running` (a slot freed), and after a start of it re-reads the earliest run-at, which
 * the store gives as the moment the queue's rate window frees a start: the timer wakes them then.
 * There is no polling tick on the hot path; see {@link SchedulerOptions.recheckIntervalMs}.
 */
export class Scheduler implements Component {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #recheckIntervalMs: number;
  readonly #waiters = new Set<Waiter>();
  /** Signals that already have this scheduler's abort listener. */
  readonly #watched = new WeakSet<AbortSignal>();
  /**
   * True when the timer may not point at the earliest future run-at: it fired, a refresh saw due
   * work or failed, or a change came without details. A claimer that finds nothing re-reads then.
   */
  #stale = true;
  /** True from start() until stop(): the change feed and the timers drive wake-ups. */
  #running = false;
  #status: ComponentStatus = 'stopped';
  /** Counts starts and stops, so a start or stop that settles late knows it was overtaken. */
  #turn = 0;
  #starting: Promise<void> = Promise.resolve();
  #stopping: Promise<void> = Promise.resolve();
  #epoch = 0;
  #unsubscribe: (() => void) | undefined;
  #unwatch: (() => void) | undefined;
  readonly #timer: RunAtTimer;
  #cancelRecheck: (() => void) | undefined;
  #refreshing: Promise<void> | undefined;
  #refreshAgain = false;
  #lastDueRunAt: number | undefined;
  /** Queues with a concurrency or rate limit, read from the store at start and on queue changes. */
  #limited: ReadonlySet<string> = new Set();

  constructor(options: SchedulerOptions) {
    if (typeof options !== 'object' || options === null || typeof options.store !== 'object') {
      throw new TypeError('Scheduler needs options with a store');
    }
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? noopLogger).child({ component: 'scheduler' });
    this.#recheckIntervalMs = options.recheckIntervalMs ?? 5000;
    this.#timer = new RunAtTimer(
      this.#clock,
      () => {
        this.#stale = true;
        this.#wake();
        void this.#refresh();
      },
      () => {
        this.#stale = true;
      },
    );
    if (!Number.isFinite(this.#recheckIntervalMs) || this.#recheckIntervalMs < 0) {
      throw new RangeError(`recheckIntervalMs must be >= 0; got ${this.#recheckIntervalMs}`);
    }
  }

  /**
   * `starting` until the first read of the earliest run-at is done, `running`, then `stopping`
   * until a read in flight has settled, and `stopped`.
   */
  get status(): ComponentStatus {
    return this.#status;
  }

  /**
   * Whether it wakes claimers: from {@link Scheduler.start} until {@link Scheduler.stop} is
   * called (status `starting` or `running`). A worker pool checks it before it starts.
   */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Counts wake-ups. A claimer reads it before claiming and passes it to
   * {@link Scheduler.waitForWork}, so a wake that happened during its claim is not missed.
   */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * Subscribes to the change feed and arms the timer for the earliest future run-at; resolves once
   * that is read. Calling it again while started resolves with the first call.
   */
  start(): Promise<void> {
    if (this.#running) return this.#starting;
    this.#running = true;
    this.#status = 'starting';
    const turn = ++this.#turn;
    this.#unsubscribe = this.#store.subscribe((change) => {
      this.#onChange(change);
    });
    // A job submitted here can be claimed before its write is durable: wake for it at once, not
    // after the fsync (the change feed's wake follows and finds it taken, or takes the rest).
    this.#unwatch = this.#store.watchRunnable?.(() => {
      if (this.#running) this.#wake();
    });
    this.#armRecheck();
    this.#starting = Promise.all([this.#refresh(), this.#readLimited()])
      .then(() => undefined)
      .finally(() => {
        if (turn === this.#turn) this.#status = 'running';
      });
    return this.#starting;
  }

  /**
   * Unsubscribes, cancels its timers and releases every waiter; resolves once a read in flight
   * has settled. Calling it again while stopped resolves with the first call.
   */
  stop(): Promise<void> {
    if (!this.#running) return this.#stopping;
    this.#running = false;
    this.#status = 'stopping';
    const turn = ++this.#turn;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#timer.clear();
    this.#cancelRecheck?.();
    this.#cancelRecheck = undefined;
    this.#wake();
    this.#stopping = (this.#refreshing ?? Promise.resolve()).finally(() => {
      if (turn === this.#turn) this.#status = 'stopped';
    });
    return this.#stopping;
  }

  /** Submits one job (the store deduplicates by idempotency key). */
  enqueue(spec: JobSpec): Promise<SubmitResult> {
    return this.#store.submit(spec);
  }

  /** Submits jobs all or nothing. */
  enqueueBatch(specs: readonly JobSpec[]): Promise<SubmitResult[]> {
    return this.#store.submitBatch(specs);
  }

  /**
   * Resolves as soon as work may be claimable: a store change made a job runnable, or the
   * earliest future run-at passed. Resolves at once when `since` is given and a wake-up happened
   * after that {@link Scheduler.epoch}, or when `signal` is aborted. While the scheduler is
   * stopped, only the signal ends the wait.
   */
  waitForWork(signal?: AbortSignal, since?: number): Promise<void> {
    if (signal?.aborted === true) return Promise.resolve();
    if (this.#running && since !== undefined && since !== this.#epoch) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#waiters.add({ resolve, signal });
      if (signal !== undefined && !this.#watched.has(signal)) {
        // One listener per signal, not one per wait: a pool waits with the same signal all along.
        this.#watched.add(signal);
        signal.addEventListener(
          'abort',
          () => {
            this.#releaseWaiters(signal);
          },
          { once: true },
        );
      }
      // The caller found nothing to claim. If the earliest run-at may have moved without the
      // timer knowing (it fired, due work was seen, a change came without details), re-read it so
      // the timer points at the right moment.
      if (this.#running && this.#stale) void this.#refresh();
    });
  }

  #onChange(change: StoreChange): void {
    if (!this.#running) return;
    if (change.kind === 'queue') {
      void this.#readLimited();
      this.#stale = true;
      this.#wake();
      void this.#refresh();
      return;
    }
    if (change.kind !== 'created' && change.kind !== 'updated') return;
    if (change.queue !== undefined && this.#limited.has(change.queue)) {
      // Any change of a limited queue may move its next run-at: a start may fill its rate
      // window, an end free a slot of its concurrency (or, in an ordered queue, make the next
      // job of its key the head), a submitted job be held back by a limit. A claimer that finds
      // nothing re-reads it as it starts to wait; it is read at once only for claimers already
      // waiting (their timer must point at the moment the limit frees a job), so a busy drain of
      // a limited queue does not read it at every start and end.
      this.#stale = true;
      const waiting = this.#waiters.size > 0;
      if (
        (change.previous === 'running' && change.state !== 'running') ||
        (change.previous !== undefined && change.state !== undefined && isTerminal(change.state))
      ) {
        this.#wake();
        if (waiting) void this.#refresh();
        return;
      }
      if (change.state === 'running') {
        if (waiting) void this.#refresh();
        return;
      }
      // A job submitted or made runnable falls through to the wake below, which alone would
      // leave no timer for a limit that holds it back: the stale mark above gives one.
    }
    if (change.state === undefined) {
      // A change from elsewhere without details: cheap to look.
      this.#stale = true;
      this.#wake();
      void this.#refresh();
      return;
    }
    if (!RUNNABLE_STATES.has(change.state)) return;
    const runAt = change.runAt ?? change.job?.runAt;
    if (runAt === undefined || runAt <= this.#clock.now()) {
      this.#wake();
      return;
    }
    this.#armAt(runAt);
  }

  /** Re-reads the earliest run-at; concurrent calls share one read plus at most one more. */
  #refresh(): Promise<void> {
    if (this.#refreshing !== undefined) {
      this.#refreshAgain = true;
      return this.#refreshing;
    }
    const run = async (): Promise<void> => {
      do {
        this.#refreshAgain = false;
        this.#stale = false;
        let next: number | undefined;
        try {
          next = await this.#store.nextRunAt();
        } catch (err) {
          this.#stale = true;
          this.#logger.warn('could not read the next run-at', { err: String(err) });
          return;
        }
        if (!this.#running) return;
        if (next === undefined) continue;
        if (next > this.#clock.now()) {
          this.#armAt(next);
          continue;
        }
        // Due work: once it is claimed, the next run-at must be read again.
        this.#stale = true;
        if (next !== this.#lastDueRunAt) {
          // Due work the claimers may not have seen yet. Wake them once per distinct run-at: a
          // due job they cannot take (another type, a busy pool) must not make them spin.
          this.#lastDueRunAt = next;
          this.#wake();
        }
      } while (this.#refreshAgain && this.#running);
    };
    this.#refreshing = run().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Re-reads which queues have a limit (their jobs' starts and ends drive wake-ups). */
  async #readLimited(): Promise<void> {
    try {
      const queues = await this.#store.listQueues();
      this.#limited = new Set(
        queues
          .filter(
            (q) =>
              q.concurrency !== null ||
              q.rate !== null ||
              q.groupConcurrency !== undefined ||
              q.ordered === true,
          )
          .map((q) => q.name),
      );
    } catch (err) {
      this.#logger.warn('could not read the queue limits', { err: String(err) });
    }
  }

  #armAt(at: number): void {
    this.#timer.add(at);
  }

  #armRecheck(): void {
    if (this.#recheckIntervalMs === 0 || !this.#running) return;
    this.#cancelRecheck = this.#clock.setTimer(() => {
      this.#lastDueRunAt = undefined;
      this.#stale = true;
      this.#wake();
      void this.#refresh();
      this.#armRecheck();
    }, this.#recheckIntervalMs);
  }

  #wake(): void {
    this.#epoch++;
    if (this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) waiter.resolve();
  }

  #releaseWaiters(signal: AbortSignal): void {
    for (const waiter of this.#waiters) {
      if (waiter.signal !== signal) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }
}
