import {
  noopLogger,
  systemClock,
  type Clock,
  type Component,
  type ComponentStatus,
  type Logger,
  type Store,
} from '@gopherqueue/core';
import { TimerLoop } from './timer-loop.js';
import { positiveInteger, requireStore } from './validate.js';

/** The longest interval between two sweeps: a minute. */
export const MAX_EXPIRY_INTERVAL_MS = 60_000;

/** Options of {@link ExpirySweeper}. */
export interface ExpirySweeperOptions {
  /** The store whose expired waiting jobs are cancelled. */
  store: Store;
  /** Source of timers. @defaultValue systemClock */
  clock?: Clock;
  /** Where sweeps and loop errors are logged. @defaultValue noopLogger */
  logger?: Logger;
  /** Time between two sweeps, 1 ms to 1 min. @defaultValue 1000 */
  intervalMs?: number;
  /** Jobs cancelled per store call. @defaultValue 1000 */
  batchSize?: number;
}

/**
 * Expiry before start: every `intervalMs`, cancels (`store.expire`, reason `expired`) the jobs
 * never started whose `expiresAt` passed, wherever they wait: a paused queue, a dependency not
 * done, a type no worker claims. A claim never starts such a job either; this is what ends the
 * ones no claim reaches. The store reads an index of expiring jobs, never every job.
 */
export class ExpirySweeper implements Component {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #batchSize: number;
  readonly #loop: TimerLoop;

  /** @throws TypeError or RangeError naming the offending option. */
  constructor(options: ExpirySweeperOptions) {
    this.#store = requireStore(options);
    this.#logger = (options.logger ?? noopLogger).child({ component: 'expiry-sweeper' });
    const intervalMs = positiveInteger('intervalMs', options.intervalMs ?? 1000);
    if (intervalMs > MAX_EXPIRY_INTERVAL_MS) {
      throw new RangeError(
        `intervalMs must be at most ${MAX_EXPIRY_INTERVAL_MS}; got ${intervalMs}`,
      );
    }
    this.#batchSize = positiveInteger('batchSize', options.batchSize ?? 1000);
    this.#loop = new TimerLoop(options.clock ?? systemClock, this.#logger, intervalMs, () =>
      this.runOnce(),
    );
  }

  /** `running` from {@link ExpirySweeper.start}, `stopping` while a sweep finishes, `stopped`. */
  get status(): ComponentStatus {
    return this.#loop.status;
  }

  /** Sweeps every `intervalMs`, one sweep at a time. */
  start(): void {
    this.#loop.start();
  }

  /** Stops sweeping and waits for a sweep in progress. */
  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /**
   * Cancels every job expired now, in batches of `batchSize`, and returns how many.
   * @throws GqError from the store (failing or closed).
   */
  async runOnce(): Promise<number> {
    let expired = 0;
    let batch: number;
    do {
      batch = (await this.#store.expire(this.#batchSize)).length;
      expired += batch;
    } while (batch >= this.#batchSize);
    if (expired > 0) this.#logger.info('expired jobs not started in time', { expired });
    return expired;
  }
}
