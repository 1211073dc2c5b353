import {
  groupLimitOf,
  hasLimits,
  nextRateStartAt,
  pruneRateLog,
  rateFreedAt,
  rateRemaining,
  recordStarts,
  type QueueLimits,
  type RateLog,
} from '@gopherqueue/core';

const UNLIMITED: QueueLimits = { concurrency: null, rate: null };

/**
 * The flow-control state of a LevelStore: the limits of its limited queues (also written to
 * `qset!<name>`) and each rated queue's sliding window of starts, in memory only (one process
 * owns the store; after a restart the windows start empty). Running counts come from the store's
 * counts, which every claim and end updates synchronously, so a claim's quota is exact.
 */
export class QueueLimiter {
  readonly #limits = new Map<string, QueueLimits>();
  readonly #logs = new Map<string, RateLog>();
  /** Per rated queue, the moment its window last freed a start (see `rateFreedAt`). */
  readonly #freed = new Map<string, number>();
  readonly #running: (queue: string) => number;
  #grouped = false;
  #aging = false;

  /** @param running - how many jobs of a queue are running now */
  constructor(running: (queue: string) => number) {
    this.#running = running;
  }

  /** Names of the queues with a limit. */
  names(): IterableIterator<string> {
    return this.#limits.keys();
  }

  /** The limits of a queue (none for a queue without). */
  get(name: string): QueueLimits {
    return this.#limits.get(name) ?? UNLIMITED;
  }

  /** Sets a queue's limits; a queue left without any is forgotten, with its window. */
  set(name: string, limits: QueueLimits): void {
    if (!hasLimits(limits)) this.#limits.delete(name);
    else {
      this.#limits.set(name, {
        concurrency: limits.concurrency ?? null,
        rate: limits.rate ?? null,
        groupConcurrency: limits.groupConcurrency ?? null,
        ordered: limits.ordered === true,
        agingMs: limits.agingMs ?? null,
      });
    }
    if (limits.rate === null || limits.rate === undefined) {
      this.#logs.delete(name);
      this.#freed.delete(name);
    }
    this.#grouped = [...this.#limits.values()].some((l) => groupLimitOf(l) !== null);
    this.#aging = [...this.#limits.values()].some((l) => (l.agingMs ?? null) !== null);
  }

  /** True when some queue limits jobs per group key. */
  get grouped(): boolean {
    return this.#grouped;
  }

  /** True when some queue ages its jobs. */
  get aging(): boolean {
    return this.#aging;
  }

  /** The running jobs per key a queue allows (1 when ordered), or null. */
  groupLimit(queue: string): number | null {
    const limits = this.#limits.get(queue);
    return limits === undefined ? null : groupLimitOf(limits);
  }

  /** The aging step of a queue, or null. */
  agingOf(queue: string): number | null {
    return this.#limits.get(queue)?.agingMs ?? null;
  }

  /**
   * The starts a claim may make now per limited queue (at least 0), or undefined when no queue
   * has a limit (the unlimited claim path).
   */
  quota(now: number): Map<string, number> | undefined {
    if (this.#limits.size === 0) return undefined;
    const quota = new Map<string, number>();
    for (const [name, limits] of this.#limits) {
      if (limits.concurrency === null && limits.rate === null) continue;
      let allowed = Number.POSITIVE_INFINITY;
      if (limits.concurrency !== null) {
        allowed = Math.max(0, limits.concurrency - this.#running(name));
      }
      if (limits.rate !== null) {
        allowed = Math.min(allowed, rateRemaining(this.#log(name, now), now, limits.rate));
      }
      quota.set(name, allowed);
    }
    return quota;
  }

  /** Remembers `count` starts of `queue` at `now` in its window (a queue without a rate: none). */
  record(queue: string, now: number, count: number): void {
    const rate = this.#limits.get(queue)?.rate;
    if (rate === undefined || rate === null) return;
    this.#logs.set(queue, recordStarts(this.#log(queue, now), now, count, rate.periodMs));
  }

  /**
   * The earliest a claim may take a job of `queue`: Infinity when its concurrency is reached (a
   * job of it ending frees it), when its rate frees a start if it allows none now, else the
   * moment its window last freed a start (-Infinity if none ever left it).
   */
  floor(queue: string, now: number): number {
    const limits = this.#limits.get(queue);
    if (limits === undefined) return Number.NEGATIVE_INFINITY;
    if (limits.concurrency !== null && this.#running(queue) >= limits.concurrency) {
      return Number.POSITIVE_INFINITY;
    }
    return this.nextStartAt(queue, now) ?? this.#freed.get(queue) ?? Number.NEGATIVE_INFINITY;
  }

  /** Starts the queue's rate allows now, or null without a rate. */
  remaining(queue: string, now: number): number | null {
    const rate = this.#limits.get(queue)?.rate ?? null;
    return rate === null ? null : rateRemaining(this.#log(queue, now), now, rate);
  }

  /** When the queue's rate allows a start again, if it allows none now. */
  nextStartAt(queue: string, now: number): number | undefined {
    const rate = this.#limits.get(queue)?.rate ?? null;
    return rate === null ? undefined : nextRateStartAt(this.#log(queue, now), now, rate);
  }

  #log(queue: string, now: number): RateLog {
    const rate = this.#limits.get(queue)?.rate;
    const log = this.#logs.get(queue);
    if (log === undefined || rate === undefined || rate === null) return [];
    const kept = pruneRateLog(log, now, rate.periodMs);
    if (kept !== log) {
      this.#logs.set(queue, kept);
      this.#freed.set(queue, rateFreedAt(log, now, rate.periodMs) as number);
    }
    return kept;
  }
}
