import {
  noopLogger,
  systemClock,
  type Clock,
  type Component,
  type ComponentStatus,
  type Logger,
  type PurgeInput,
  type Store,
} from '@gopherqueue/core';
import { TimerLoop } from './timer-loop.js';
import { nonNegativeMs, positiveInteger, requireStore } from './validate.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Options of {@link Janitor}. */
export interface JanitorOptions {
  /** The store whose finished jobs are purged. */
  store: Store;
  /** Source of time and timers. @defaultValue systemClock */
  clock?: Clock;
  /** Where purges and loop errors are logged. @defaultValue noopLogger */
  logger?: Logger;
  /** Time between two purges. @defaultValue 60_000 (1 min) */
  intervalMs?: number;
  /** How long a `completed` job is kept after it finished. @defaultValue 86_400_000 (24 h) */
  completedTtlMs?: number;
  /** How long a `failed` or `dead_letter` job is kept. @defaultValue 604_800_000 (7 days) */
  failedTtlMs?: number;
  /** How long a `cancelled` job is kept. @defaultValue 604_800_000 (7 days) */
  cancelledTtlMs?: number;
  /** Jobs (and audit entries) deleted per call. @defaultValue 1000 */
  batchSize?: number;
  /**
   * Deletes up to `limit` audit entries recorded before `before` and resolves with how many
   * (`(before, limit) => auditLog.purge(before, limit)`); called in batches until one comes back
   * short. @defaultValue none: no audit retention
   */
  purgeAudit?: (before: number, limit: number) => Promise<number>;
  /** How long an audit entry is kept. @defaultValue 7_776_000_000 (90 days) */
  auditTtlMs?: number;
}

/** One retention rule: these finished states are kept this long. */
interface Rule {
  states: PurgeInput['states'];
  ttlMs: number;
}

/**
 * Retention: deletes finished jobs past their age so the store stays bounded (completed after
 * 24 h, failed, dead-lettered and cancelled after 7 days, by default). The age counts from the
 * job's `finishedAt`; the store's purge reads an index, never every job. Given `purgeAudit`, it
 * also deletes audit entries older than `auditTtlMs` (90 days by default).
 */
export class Janitor implements Component {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #batchSize: number;
  readonly #rules: readonly Rule[];
  readonly #purgeAudit: JanitorOptions['purgeAudit'];
  readonly #auditTtlMs: number;
  readonly #loop: TimerLoop;

  /** @throws TypeError or RangeError naming the offending option. */
  constructor(options: JanitorOptions) {
    this.#store = requireStore(options);
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? noopLogger).child({ component: 'janitor' });
    const intervalMs = positiveInteger('intervalMs', options.intervalMs ?? 60_000);
    this.#batchSize = positiveInteger('batchSize', options.batchSize ?? 1000);
    this.#rules = [
      {
        states: ['completed'],
        ttlMs: nonNegativeMs('completedTtlMs', options.completedTtlMs ?? DAY_MS),
      },
      {
        states: ['failed', 'dead_letter'],
        ttlMs: nonNegativeMs('failedTtlMs', options.failedTtlMs ?? 7 * DAY_MS),
      },
      {
        states: ['cancelled'],
        ttlMs: nonNegativeMs('cancelledTtlMs', options.cancelledTtlMs ?? 7 * DAY_MS),
      },
    ];
    if (options.purgeAudit !== undefined && typeof options.purgeAudit !== 'function') {
      throw new TypeError('purgeAudit must be a function');
    }
    this.#purgeAudit = options.purgeAudit;
    this.#auditTtlMs = nonNegativeMs('auditTtlMs', options.auditTtlMs ?? 90 * DAY_MS);
    this.#loop = new TimerLoop(this.#clock, this.#logger, intervalMs, () => this.runOnce());
  }

  /**
   * `running` from {@link Janitor.start}, `stopping` while a run in progress finishes, then
   * `stopped`.
   */
  get status(): ComponentStatus {
    return this.#loop.status;
  }

  /** Purges every `intervalMs`, one run at a time. */
  start(): void {
    this.#loop.start();
  }

  /** Stops purging and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /**
   * Deletes every finished job past its retention age, in batches of `batchSize`, and returns how
   * many it deleted; then the audit entries past `auditTtlMs`, the same way.
   * @throws GqError from the store (failing or closed).
   */
  async runOnce(): Promise<number> {
    const now = this.#clock.now();
    let purged = 0;
    for (const rule of this.#rules) {
      const input: PurgeInput = {
        states: rule.states,
        finishedBefore: now - rule.ttlMs,
        limit: this.#batchSize,
      };
      let batch: number;
      do {
        batch = await this.#store.purgeFinished(input);
        purged += batch;
      } while (batch >= this.#batchSize);
    }
    if (purged > 0) this.#logger.info('purged finished jobs', { purged });
    if (this.#purgeAudit !== undefined) {
      let entries = 0;
      let batch: number;
      do {
        batch = await this.#purgeAudit(now - this.#auditTtlMs, this.#batchSize);
        entries += batch;
      } while (batch >= this.#batchSize);
      if (entries > 0) this.#logger.info('purged audit entries', { purged: entries });
    }
    return purged;
  }
}
