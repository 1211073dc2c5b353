import {
  ErrorCode,
  isGqError,
  noopLogger,
  systemClock,
  type Clock,
  type Component,
  type ComponentStatus,
  type FailInput,
  type FailOutcome,
  type FailureReport,
  type Job,
  type Logger,
  type Store,
} from '@gopherqueue/core';
import { failureOutcome } from '@gopherqueue/scheduler';
import { TimerLoop } from './timer-loop.js';
import { positiveInteger, requireStore } from './validate.js';

/** Options of {@link Recoverer}. */
export interface RecovererOptions {
  /** The store whose expired leases are taken back. */
  store: Store;
  /** Source of time and timers. @defaultValue systemClock */
  clock?: Clock;
  /** Where recoveries and loop errors are logged. @defaultValue noopLogger */
  logger?: Logger;
  /** Time between two looks for expired leases. @defaultValue 1_000 */
  intervalMs?: number;
  /** Jobs taken back per store call. @defaultValue 100 */
  batchSize?: number;
}

/** The error recorded on an attempt whose worker stopped renewing its lease. */
export const LEASE_EXPIRED_ERROR: FailureReport = Object.freeze({
  message: 'lease expired: the worker stopped heartbeating',
  errorClass: 'lease_expired',
});

/** What happened to one job the recoverer tried to take back. */
type Recovery = 'recovered' | 'skipped';

/**
 * Takes back jobs whose worker died: an expired lease fails the attempt as `lease_expired`, and the
 * job goes to `retrying` (runnable at once) or, when that was its last attempt, to `dead_letter`.
 * Every take-back is a fenced `store.fail` with the lease token seen and `leaseExpiredBy`, so the
 * store fails the job only if that lease is still the current one and still expired at that moment:
 * a job that another node got to first is skipped, never recovered twice, and one whose live worker
 * renewed its lease after the lookup is left running.
 */
export class Recoverer implements Component {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #batchSize: number;
  readonly #loop: TimerLoop;

  /** @throws TypeError or RangeError naming the offending option. */
  constructor(options: RecovererOptions) {
    this.#store = requireStore(options);
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? noopLogger).child({ component: 'recoverer' });
    const intervalMs = positiveInteger('intervalMs', options.intervalMs ?? 1_000);
    this.#batchSize = positiveInteger('batchSize', options.batchSize ?? 100);
    this.#loop = new TimerLoop(this.#clock, this.#logger, intervalMs, () => this.recoverExpired());
  }

  /**
   * `running` from {@link Recoverer.start}, `stopping` while a run in progress finishes, then
   * `stopped`.
   */
  get status(): ComponentStatus {
    return this.#loop.status;
  }

  /** Looks for expired leases every `intervalMs`, one run at a time. */
  start(): void {
    this.#loop.start();
  }

  /** Stops looking and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /**
   * Fails every job whose lease expired at or before now, in batches of `batchSize`, until none is
   * left. Returns how many jobs this call took back (jobs someone else got to first not counted).
   * @throws GqError from the store (failing or closed); GQ_LEASE_LOST, GQ_INVALID_STATE and
   *   GQ_NOT_FOUND on a take-back only mean someone else changed the job first, and are skipped.
   */
  async recoverExpired(): Promise<number> {
    let recovered = 0;
    for (;;) {
      const now = this.#clock.now();
      const expired = await this.#store.expiredLeases(now, this.#batchSize);
      const results = await Promise.all(expired.map((job) => this.#recover(job, now, now)));
      recovered += results.filter((r) => r === 'recovered').length;
      // A full batch of which nothing was recovered may come back unchanged: stop there.
      if (expired.length < this.#batchSize || !results.includes('recovered')) return recovered;
    }
  }

  /**
   * Takes back every `running` job at once, whatever its lease expiry, when the store is owned by
   * this process alone (`store.exclusive`): after a crash nothing can still be running them. Call it
   * once after opening the store and before starting workers. Returns how many jobs it took back;
   * on a shared store it does nothing and returns 0 (expired leases are the only signal there).
   */
  async recoverStartup(): Promise<number> {
    if (!this.#store.exclusive) return 0;
    // Collect first, then fail: paging a state index while changing it could skip entries.
    const running: Job[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#store.list({
        state: 'running',
        limit: Math.min(this.#batchSize, 1000),
        ...(cursor === undefined ? {} : { cursor }),
      });
      running.push(...page.jobs);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const now = this.#clock.now();
    let recovered = 0;
    for (let i = 0; i < running.length; i += this.#batchSize) {
      const batch = running.slice(i, i + this.#batchSize);
      // No `leaseExpiredBy`: every running job of an exclusive store is orphaned at startup.
      const results = await Promise.all(batch.map((job) => this.#recover(job, now, undefined)));
      recovered += results.filter((r) => r === 'recovered').length;
    }
    if (recovered > 0) this.#logger.info('recovered jobs left running at startup', { recovered });
    return recovered;
  }

  /**
   * Fails `job`'s attempt as `lease_expired` with the token seen; with `expiredBy`, only if its
   * lease still expires at or before that time when the store applies it.
   */
  async #recover(job: Job, now: number, expiredBy: number | undefined): Promise<Recovery> {
    if (job.state !== 'running' || job.leaseToken === undefined) return 'skipped';
    const outcome = leaseExpiredOutcome(job, now);
    const input: FailInput = { error: LEASE_EXPIRED_ERROR, outcome };
    if (expiredBy !== undefined) input.leaseExpiredBy = expiredBy;
    try {
      await this.#store.fail(job.id, job.leaseToken, input);
    } catch (err) {
      // Another recoverer, a renewal by the live worker, a completion or a cancel came first.
      if (isGqError(err, ErrorCode.LEASE_LOST) || isGqError(err, ErrorCode.INVALID_STATE)) {
        return 'skipped';
      }
      if (isGqError(err, ErrorCode.NOT_FOUND)) return 'skipped';
      throw err;
    }
    this.#logger.warn('lease expired, job taken back', {
      jobId: job.id,
      type: job.type,
      attempt: job.attempt,
      workerId: job.workerId,
      next: outcome.state,
    });
    return 'recovered';
  }
}

/**
 * The retry policy's outcome for a lost worker, except that a retry may run at once: the crash was
 * not the handler's fault, so no backoff.
 */
export function leaseExpiredOutcome(
  job: Pick<Job, 'attempt' | 'maxAttempts' | 'backoff'>,
  now: number,
): FailOutcome {
  const outcome = failureOutcome(job, LEASE_EXPIRED_ERROR, now);
  return outcome.state === 'retrying' ? { state: 'retrying', runAt: now } : outcome;
}
