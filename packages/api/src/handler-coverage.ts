import {
  RUNNABLE_STATES,
  systemClock,
  type Clock,
  type DueCount,
  type Job,
  type Store,
} from '@gopherqueue/core';
import type { WorkerRegistry } from './worker-registry.js';

/**
 * Why a job that could run now is not running: `no_handler`, no worker known to this server has
 * a handler for its type. Other reasons may be added; clients should show unknown ones as given.
 */
export type WaitingReason = 'no_handler';

/** Decides the {@link WaitingReason} of a job, or undefined when it is not waiting for one. */
export type WaitingReasonOf = (job: Job) => WaitingReason | undefined;

/** Options of {@link HandlerCoverage}. */
export interface HandlerCoverageOptions {
  /**
   * The types the local worker pool claims, read at each call; undefined when it claims every
   * type (it fails those it has no handler for) or there is no pool that waits.
   */
  localTypes: () => readonly string[] | undefined;
  /** The remote workers heard from through the lease API. */
  registry: WorkerRegistry;
  /** @defaultValue systemClock */
  clock?: Clock;
}

/** Most types {@link HandlerCoverage.countWaiting} reports, and most jobs it counts per type. */
export const WAITING_GAUGE_TYPES = 100;
export const WAITING_GAUGE_LIMIT = 10_000;

/**
 * Which job types some worker known to this server claims: the local pool's, and those of every
 * remote worker seen recently (see {@link WorkerRegistry}). One place decides it for the
 * `waiting_reason` of jobs and for the gauge of jobs waiting without a handler, so they agree.
 */
export class HandlerCoverage {
  readonly #localTypes: () => readonly string[] | undefined;
  readonly #registry: WorkerRegistry;
  readonly #clock: Clock;

  constructor(options: HandlerCoverageOptions) {
    this.#localTypes = options.localTypes;
    this.#registry = options.registry;
    this.#clock = options.clock ?? systemClock;
  }

  /** The types claimed by some worker, or undefined when one of them claims every type. */
  servedTypes(): ReadonlySet<string> | undefined {
    const local = this.#localTypes();
    if (local === undefined) return undefined;
    const remote = this.#registry.servedTypes();
    if (remote === undefined) return undefined;
    return new Set([...local, ...remote]);
  }

  /**
   * `no_handler` for a runnable job whose `runAt` has come and whose type no worker claims;
   * undefined otherwise. The job's queue is not looked at: a worker that claims the type from
   * some queues counts as claiming it.
   */
  readonly waitingReason: WaitingReasonOf = (job) => {
    if (!RUNNABLE_STATES.has(job.state) || job.runAt > this.#clock.now()) return undefined;
    const served = this.servedTypes();
    return served === undefined || served.has(job.type) ? undefined : 'no_handler';
  };

  /**
   * The jobs that {@link waitingReason} says wait with `no_handler`, per type: at most
   * {@link WAITING_GAUGE_TYPES} types (the first by name), each counted up to
   * {@link WAITING_GAUGE_LIMIT}, so a scrape costs the same whatever the backlog.
   */
  async countWaiting(store: Pick<Store, 'countDue'>): Promise<DueCount[]> {
    const served = this.servedTypes();
    if (served === undefined) return [];
    return store.countDue({
      excludeTypes: [...served],
      limit: WAITING_GAUGE_LIMIT,
      maxTypes: WAITING_GAUGE_TYPES,
    });
  }
}
