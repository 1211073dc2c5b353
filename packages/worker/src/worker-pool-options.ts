import {
  noopLogger,
  systemClock,
  uuidv7,
  type Clock,
  type Logger,
  type Store,
} from '@gopherqueue/core';
import type { Scheduler } from '@gopherqueue/scheduler';
import { resolveQueueWeights, type QueueWeight } from './queue-weights.js';
import { StoreWorkSource } from './store-work-source.js';
import type { WorkSource } from './work-source.js';

/** The most jobs a pool may claim ahead of its free slots. */
export const MAX_CLAIM_AHEAD = 10_000;

/**
 * Options of {@link WorkerPool}. Jobs come from `source`, or, without it, from `store` and
 * `scheduler` (a {@link StoreWorkSource} over them).
 */
export interface WorkerPoolOptions {
  /**
   * Where jobs are claimed and their ends written: a {@link StoreWorkSource}, an
   * {@link HttpWorkSource}, or one of your own. @defaultValue a StoreWorkSource over `store`
   */
  source?: WorkSource;
  /** The store to claim from, when no `source` is given. */
  store?: Store;
  /** Wakes the pool when work may be claimable (start it before the pool); with `store`. */
  scheduler?: Scheduler;
  /** Handlers running at once. @defaultValue 10 */
  concurrency?: number;
  /** Lease length given at claim and renewed by heartbeat. @defaultValue 30_000 */
  leaseMs?: number;
  /** How often a running job's lease is renewed. @defaultValue leaseMs / 3 */
  heartbeatIntervalMs?: number;
  /**
   * How long a handler whose signal fired (timeout, cancel, lost lease, shutdown) is waited for
   * before it is abandoned and its slot freed. @defaultValue 5_000
   */
  timeoutGraceMs?: number;
  /** How long {@link WorkerPool.stop} lets running handlers finish before aborting them. @defaultValue 30_000 */
  shutdownTimeoutMs?: number;
  /** Most jobs taken by one claim. @defaultValue the free slots */
  claimBatchSize?: number;
  /**
   * Most jobs claimed ahead of a free slot, held (leased) in this process until a slot frees, so
   * that a backlog is claimed in fewer, larger claims. The pool claims ahead with every slot busy,
   * and after a claim that filled every slot (handlers that settle at once never leave them all
   * busy), in claims that pass over limited queues (whose slots a held job would take), and holds
   * no more than its handlers settled in the last quarter second since the queues last ran dry,
   * so slow handlers hold few, a held job waits about that long, and a burst of quick jobs earns
   * nothing for the next burst. Held jobs count as `running` in the store; one held a second (or
   * half its lease, if shorter) goes back unrun, whether a slot frees or not, as do all held jobs
   * when the pool stops, and one cancelled while held never runs. Over HTTP (`HttpWorkSource`) the lease API claims ahead the same way. 0 to 10,000.
   * @defaultValue the source's `claimAhead` (a store's: 512 on PostgreSQL, 0 on the embedded
   * store; 0 over HTTP)
   */
  claimAhead?: number;
  /** Recorded as the lease holder. @defaultValue `worker-<uuid>` */
  workerId?: string;
  /**
   * `fail`: claim every type and fail jobs without a handler at once (errorClass `unknown_type`).
   * `wait`: claim only registered types, so jobs of other types wait, `scheduled`, for a worker
   * that has their handler (another pool, a remote worker). `leave` is another name of `wait`.
   * @defaultValue 'fail'
   */
  unknownTypes?: 'fail' | 'wait' | 'leave';
  /**
   * Only claim jobs of these queues, in one claim per round: the most urgent job of any of them
   * first (priority, then run time, then submission). @defaultValue every queue
   */
  queues?: readonly string[];
  /**
   * Serve these queues by weight instead (give `queues` or this, not both): each claim round
   * draws a queue order by weighted random choice without replacement, so with
   * `{ critical: 6, default: 3, low: 1 }` `critical` is tried first 6 rounds in 10. The round
   * claims from the first queue up to the free slots, then fills what is left from the next
   * queue, and so on; within a queue the order stays strict. When every queue is empty the pool
   * waits for work as it does without weights. Weights are integers 1..1000, at most 100 queues.
   */
  queueWeights?: Readonly<Record<string, number>>;
  /** Draws the queue order of `queueWeights`; returns a number in [0, 1). @defaultValue Math.random */
  random?: () => number;
  /** Use the store's clock (or, over HTTP, the machine's). @defaultValue systemClock */
  clock?: Clock;
  /** @defaultValue noopLogger */
  logger?: Logger;
}

/** {@link WorkerPoolOptions} with every default applied. */
export interface ResolvedWorkerPoolOptions {
  source: WorkSource;
  concurrency: number;
  leaseMs: number;
  heartbeatIntervalMs: number;
  timeoutGraceMs: number;
  shutdownTimeoutMs: number;
  claimBatchSize: number | undefined;
  claimAhead: number;
  workerId: string;
  /** `leave` is resolved to `wait`. */
  unknownTypes: 'fail' | 'wait';
  queues: readonly string[] | undefined;
  /** In the order given; undefined without `queueWeights`. */
  queueWeights: readonly QueueWeight[] | undefined;
  random: () => number;
  clock: Clock;
  logger: Logger;
}

/**
 * Applies defaults and validates.
 * @throws TypeError or RangeError naming the offending option.
 */
export function resolveWorkerPoolOptions(options: WorkerPoolOptions): ResolvedWorkerPoolOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('WorkerPool needs an options object with a source, or store and scheduler');
  }
  const clock = options.clock ?? systemClock;
  let source: WorkSource;
  if (options.source !== undefined) {
    if (typeof options.source !== 'object' || options.source === null) {
      throw new TypeError('WorkerPool options.source must be a WorkSource');
    }
    source = options.source;
  } else {
    source = new StoreWorkSource({
      store: options.store as Store,
      scheduler: options.scheduler as Scheduler,
      clock,
    });
  }
  const concurrency = options.concurrency ?? 10;
  positiveInteger('concurrency', concurrency);
  const leaseMs = options.leaseMs ?? 30_000;
  positiveInteger('leaseMs', leaseMs);
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? Math.max(1, Math.floor(leaseMs / 3));
  positiveInteger('heartbeatIntervalMs', heartbeatIntervalMs);
  if (heartbeatIntervalMs >= leaseMs) {
    throw new RangeError(
      `heartbeatIntervalMs must be less than leaseMs (${leaseMs}); got ${heartbeatIntervalMs}`,
    );
  }
  const timeoutGraceMs = options.timeoutGraceMs ?? 5_000;
  nonNegativeInteger('timeoutGraceMs', timeoutGraceMs);
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
  nonNegativeInteger('shutdownTimeoutMs', shutdownTimeoutMs);
  if (options.claimBatchSize !== undefined)
    positiveInteger('claimBatchSize', options.claimBatchSize);
  const claimAhead = options.claimAhead ?? source.claimAhead ?? 0;
  if (
    typeof claimAhead !== 'number' ||
    !Number.isInteger(claimAhead) ||
    claimAhead < 0 ||
    claimAhead > MAX_CLAIM_AHEAD
  ) {
    throw new RangeError(
      `claimAhead must be an integer from 0 to ${MAX_CLAIM_AHEAD}; got ${String(claimAhead)}`,
    );
  }
  const workerId = options.workerId ?? `worker-${uuidv7(clock.now())}`;
  if (typeof workerId !== 'string' || workerId === '') {
    throw new TypeError(`workerId must be a non-empty string; got ${JSON.stringify(workerId)}`);
  }
  const unknownTypes = options.unknownTypes ?? 'fail';
  if (unknownTypes !== 'fail' && unknownTypes !== 'wait' && unknownTypes !== 'leave') {
    throw new RangeError(
      `unknownTypes must be 'fail', 'wait' or 'leave'; got ${JSON.stringify(unknownTypes)}`,
    );
  }
  if (
    options.queues !== undefined &&
    (!Array.isArray(options.queues) || !options.queues.every((q) => typeof q === 'string'))
  ) {
    throw new TypeError('queues must be an array of queue names');
  }
  if (options.queues !== undefined && options.queueWeights !== undefined) {
    throw new TypeError('give queues or queueWeights, not both');
  }
  const queueWeights =
    options.queueWeights === undefined ? undefined : resolveQueueWeights(options.queueWeights);
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw new TypeError('random must be a function');
  return {
    source,
    concurrency,
    leaseMs,
    heartbeatIntervalMs,
    timeoutGraceMs,
    shutdownTimeoutMs,
    claimBatchSize: options.claimBatchSize,
    claimAhead,
    workerId,
    unknownTypes: unknownTypes === 'fail' ? 'fail' : 'wait',
    queues: options.queues === undefined ? undefined : [...options.queues],
    queueWeights,
    random,
    clock,
    logger: options.logger ?? noopLogger,
  };
}

function positiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be an integer >= 1; got ${String(value)}`);
  }
}

function nonNegativeInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be an integer >= 0; got ${String(value)}`);
  }
}
