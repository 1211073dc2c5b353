import {
  type Clock,
  type Job,
  type JobCounts,
  type JobEvents,
  JOB_STATES,
  PRIORITY_NAMES,
  systemClock,
  type TypedEmitter,
} from '@gopherqueue/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { buildJsonMetrics, type RunStats } from './metrics-json.js';
import { registerQueueGauges, type QueueMetricsSource } from './queue-gauges.js';

/** Where the job gauges come from at scrape time: a `Store` fits. */
export interface StoreMetricsSource {
  counts(): Promise<JobCounts>;
  sizeBytes(): Promise<number>;
}

/** Where the worker gauges come from at scrape time: the pool's busy slots and its limit. */
export type WorkerMetricsSource = () => { busy: number; concurrency: number };

/**
 * Where the remote worker gauges come from at scrape time: how many remote workers were seen
 * recently, the jobs they hold, and their slots.
 */
export type RemoteWorkerMetricsSource = () => Promise<{
  workers: number;
  busy: number;
  concurrency: number;
}>;

/**
 * Where `gq_jobs_waiting_no_handler` comes from at scrape time: per type, the jobs that could run
 * now but that no worker has a handler for (a bounded count: see `HandlerCoverage`).
 */
export type WaitingMetricsSource = () => Promise<readonly { type: string; count: number }[]>;

/** Options of {@link Metrics}. */
export interface MetricsOptions {
  /** Prefix of every GopherQueue metric name. @defaultValue `'gq_'` */
  prefix?: string;
  /**
   * Adds prom-client's default process and Node.js metrics (`process_cpu_seconds_total`,
   * `nodejs_heap_size_used_bytes`, ...) to this registry, under their standard names, except
   * `nodejs_active_{handles,requests,resources}_total`: gauges named like counters (sum the
   * per-type gauges `nodejs_active_handles`, ... instead).
   * @defaultValue true
   */
  collectProcessMetrics?: boolean;
  /** Buckets of the wait-time histogram, in seconds. @defaultValue 1 ms .. 1 h */
  waitBuckets?: number[];
  /** Buckets of the run-time histogram, in seconds. @defaultValue 5 ms .. 1 h */
  runBuckets?: number[];
  /** Time for `uptime` and `timestamp` in {@link Metrics.json}. @defaultValue `systemClock` */
  clock?: Clock;
  /**
   * Most distinct (type, queue) label pairs the per-job counters and histograms keep: a job of a
   * pair first seen once this many are kept is counted under `type="(other)",queue="(other)"`,
   * so producers inventing types cannot grow the registry (and each scrape) without bound.
   * 1 .. 100,000. @defaultValue 1000
   */
  maxLabelSets?: number;
}

/** The label value of jobs past {@link MetricsOptions.maxLabelSets}: no job type or queue has it. */
export const OTHER_LABEL = '(other)';
const OTHER_LABELS = { type: OTHER_LABEL, queue: OTHER_LABEL } as const;

const DEFAULT_WAIT_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];
const DEFAULT_RUN_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600,
];

/** Default process metrics left out: gauges with a counter's `_total` suffix. */
const PROCESS_TOTAL_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Outcome label of the run-time histogram. */
type RunOutcome = 'completed' | 'failed' | 'retrying' | 'dead_letter';

/**
 * Prometheus metrics of one engine, in a registry of its own: counters and histograms fed by job
 * events, gauges read from the store and the worker pool at scrape time, and process metrics.
 */
export class Metrics {
  readonly registry: Registry;
  readonly #clock: Clock;
  readonly #startedAt: number;
  readonly #enqueued: Counter<'type' | 'queue'>;
  readonly #completed: Counter<'type' | 'queue'>;
  readonly #failed: Counter<'type' | 'queue'>;
  readonly #retried: Counter<'type' | 'queue'>;
  readonly #deadLetter: Counter<'type' | 'queue'>;
  readonly #cancelled: Counter<'type' | 'queue'>;
  readonly #snoozed: Counter<'type' | 'queue'>;
  readonly #expired: Counter<'type' | 'queue'>;
  readonly #deduplicated: Counter<'type' | 'queue'>;
  readonly #wait: Histogram<'type' | 'queue'>;
  readonly #run: Histogram<'type' | 'outcome'>;
  readonly #runStats: RunStats = { count: 0, sumMs: 0, minMs: undefined, maxMs: undefined };
  readonly #maxLabelSets: number;
  /** The (type, queue) pairs with labels of their own, keyed `type\nqueue`. */
  readonly #labelSets = new Map<string, { type: string; queue: string }>();
  #store: StoreMetricsSource | undefined;
  #workers: WorkerMetricsSource | undefined;
  #remote: RemoteWorkerMetricsSource | undefined;
  #waiting: WaitingMetricsSource | undefined;
  #queues: QueueMetricsSource | undefined;

  /** @throws TypeError or RangeError for invalid options */
  constructor(options: MetricsOptions = {}) {
    const prefix = options.prefix ?? 'gq_';
    if (typeof prefix !== 'string' || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
      throw new RangeError(
        `prefix must be a valid metric name prefix; got ${JSON.stringify(prefix)}`,
      );
    }
    const waitBuckets = checkBuckets('waitBuckets', options.waitBuckets ?? DEFAULT_WAIT_BUCKETS);
    const runBuckets = checkBuckets('runBuckets', options.runBuckets ?? DEFAULT_RUN_BUCKETS);
    const maxLabelSets = options.maxLabelSets ?? 1000;
    if (!Number.isInteger(maxLabelSets) || maxLabelSets < 1 || maxLabelSets > 100_000) {
      throw new RangeError(
        `maxLabelSets must be an integer from 1 to 100000; got ${String(maxLabelSets)}`,
      );
    }
    this.#maxLabelSets = maxLabelSets;
    this.#clock = options.clock ?? systemClock;
    this.#startedAt = this.#clock.now();
    const registry = new Registry();
    this.registry = registry;

    const counter = (name: string, help: string): Counter<'type' | 'queue'> =>
      new Counter({
        name: prefix + name,
        help,
        labelNames: ['type', 'queue'],
        registers: [registry],
      });
    this.#enqueued = counter('jobs_enqueued_total', 'Jobs submitted.');
    this.#completed = counter('jobs_completed_total', 'Jobs that completed.');
    this.#failed = counter('jobs_failed_total', 'Jobs that failed permanently.');
    this.#retried = counter('jobs_retried_total', 'Failed attempts that were scheduled to retry.');
    this.#deadLetter = counter('jobs_dead_letter_total', 'Jobs moved to the dead letter queue.');
    this.#cancelled = counter('jobs_cancelled_total', 'Jobs cancelled.');
    this.#snoozed = counter(
      'jobs_snoozed_total',
      'Attempts that snoozed their job: put off without spending the attempt.',
    );
    this.#expired = counter(
      'jobs_expired_total',
      'Jobs cancelled as expired: not started before their expires_at.',
    );
    this.#deduplicated = counter(
      'jobs_deduplicated_total',
      'Submits that returned an existing job (an idempotency, unique or debounce key matched).',
    );
    this.#wait = new Histogram({
      name: `${prefix}job_wait_seconds`,
      help: 'Time from when a job was ready (runAt or creation, whichever later) to its start.',
      labelNames: ['type', 'queue'],
      buckets: waitBuckets,
      registers: [registry],
    });
    this.#run = new Histogram({
      name: `${prefix}job_run_seconds`,
      help: 'Time one attempt ran, from start to its end.',
      labelNames: ['type', 'outcome'],
      buckets: runBuckets,
      registers: [registry],
    });

    const jobs: Gauge<'state' | 'priority'> = new Gauge({
      name: `${prefix}jobs`,
      help: 'Jobs stored, by state and priority.',
      labelNames: ['state', 'priority'],
      registers: [registry],
      collect: async () => {
        jobs.reset();
        const counts = await this.#counts();
        if (counts === undefined) return;
        for (const state of JOB_STATES) {
          const byPriority = counts.byPriority[state];
          PRIORITY_NAMES.forEach((priority, level) => {
            jobs.set({ state, priority }, byPriority[level] ?? 0);
          });
        }
      },
    });
    const size: Gauge = new Gauge({
      name: `${prefix}store_size_bytes`,
      help: 'Approximate size of the store.',
      registers: [registry],
      collect: async () => {
        size.reset();
        const bytes = await this.#sizeBytes();
        if (bytes !== undefined) size.set(bytes);
      },
    });
    const busy: Gauge<'kind'> = new Gauge({
      name: `${prefix}workers_busy`,
      help: 'Worker slots running a job: kind="local" the pool of this server, kind="remote" the remote workers seen recently.',
      labelNames: ['kind'],
      registers: [registry],
      collect: async () => {
        busy.reset();
        const workers = await this.#workerSlots();
        if (workers.local !== undefined) busy.set({ kind: 'local' }, workers.local.busy);
        if (workers.remote !== undefined) busy.set({ kind: 'remote' }, workers.remote.busy);
      },
    });
    const total: Gauge<'kind'> = new Gauge({
      name: `${prefix}workers`,
      help: 'Worker slots (the concurrency limit): kind="local" the pool of this server, kind="remote" the remote workers seen recently.',
      labelNames: ['kind'],
      registers: [registry],
      collect: async () => {
        total.reset();
        const workers = await this.#workerSlots();
        if (workers.local !== undefined) total.set({ kind: 'local' }, workers.local.concurrency);
        if (workers.remote !== undefined) {
          total.set({ kind: 'remote' }, workers.remote.concurrency);
        }
      },
    });
    const remote: Gauge = new Gauge({
      name: `${prefix}remote_workers`,
      help: 'Remote workers (gq work) this server heard from in the last two leases.',
      registers: [registry],
      collect: async () => {
        remote.reset();
        const workers = await this.#workerSlots();
        if (workers.remote !== undefined) remote.set(workers.remote.workers);
      },
    });
    const waiting: Gauge<'type'> = new Gauge({
      name: `${prefix}jobs_waiting_no_handler`,
      help: 'Jobs that could run now but that no worker known to this server has a handler for, by type (at most 100 types, each counted up to 10000).',
      labelNames: ['type'],
      registers: [registry],
      collect: async () => {
        waiting.reset();
        for (const { type, count } of await this.#waitingCounts()) waiting.set({ type }, count);
      },
    });
    registerQueueGauges(registry, prefix, () => this.#queues);
    if (options.collectProcessMetrics ?? true) {
      collectDefaultMetrics({ register: registry });
      // prom-client also reports these totals as gauges named like counters, which Prometheus'
      // linter rejects; each is the sum of the gauge of the same name without `_total`.
      for (const name of PROCESS_TOTAL_GAUGES) registry.removeSingleMetric(name);
    }
  }

  /** Content type of {@link Metrics.render}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Counts the lifecycle events of `events` (a `JobEventRelay` or any emitter of job events).
   * Returns the function that stops observing.
   */
  observeEvents(events: TypedEmitter<JobEvents>): () => void {
    const offs = [
      events.on('job:created', (job) => this.#enqueued.inc(this.#labels(job))),
      events.on('job:started', (job) => {
        this.#observeWait(job);
      }),
      events.on('job:completed', (job) => {
        this.#completed.inc(this.#labels(job));
        this.#observeRun(job, 'completed');
      }),
      events.on('job:failed', (job) => {
        this.#failed.inc(this.#labels(job));
        this.#observeRun(job, 'failed');
      }),
      events.on('job:retrying', (job) => {
        this.#retried.inc(this.#labels(job));
        this.#observeRun(job, 'retrying');
      }),
      events.on('job:dead_letter', (job) => {
        this.#deadLetter.inc(this.#labels(job));
        this.#observeRun(job, 'dead_letter');
      }),
      events.on('job:cancelled', (job) => this.#cancelled.inc(this.#labels(job))),
      events.on('job:snoozed', (job) => this.#snoozed.inc(this.#labels(job))),
      events.on('job:expired', (job) => this.#expired.inc(this.#labels(job))),
      events.on('job:deduplicated', (job) => this.#deduplicated.inc(this.#labels(job))),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  /** Reads `gq_jobs` and `gq_store_size_bytes` from `source` at each scrape. */
  setStoreSource(source: StoreMetricsSource): void {
    this.#store = source;
  }

  /** Reads `gq_workers_busy{kind="local"}` and `gq_workers{kind="local"}` at each scrape. */
  setWorkerSource(source: WorkerMetricsSource): void {
    this.#workers = source;
  }

  /** Reads `gq_remote_workers` and the `kind="remote"` worker gauges at each scrape. */
  setRemoteWorkerSource(source: RemoteWorkerMetricsSource): void {
    this.#remote = source;
  }

  /** Reads `gq_jobs_waiting_no_handler` at each scrape. */
  setWaitingSource(source: WaitingMetricsSource): void {
    this.#waiting = source;
  }

  /** Reads the per-queue gauges (`gq_queue_waiting`, `gq_queue_oldest_waiting_seconds`). */
  setQueueSource(source: QueueMetricsSource): void {
    this.#queues = source;
  }

  /** Every metric in the Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * The original GopherQueue's JSON metrics (`/metrics?format=json`): job counters, processing
   * time in nanoseconds (avg, min, max, count), queue depth, worker utilisation, uptime.
   */
  async json(): Promise<Record<string, unknown>> {
    const [enqueued, completed, failed, retried, deadLetter, cancelled, counts, sizeBytes, slots] =
      await Promise.all([
        this.#enqueued.get(),
        this.#completed.get(),
        this.#failed.get(),
        this.#retried.get(),
        this.#deadLetter.get(),
        this.#cancelled.get(),
        this.#counts(),
        this.#sizeBytes(),
        this.#workerSlots(),
      ]);
    const { local, remote } = slots;
    const workers =
      local === undefined && remote === undefined
        ? undefined
        : {
            busy: (local?.busy ?? 0) + (remote?.busy ?? 0),
            concurrency: (local?.concurrency ?? 0) + (remote?.concurrency ?? 0),
          };
    const now = this.#clock.now();
    return buildJsonMetrics({
      counters: { enqueued, completed, failed, retried, deadLetter, cancelled },
      run: this.#runStats,
      counts,
      sizeBytes,
      workers,
      uptimeMs: now - this.#startedAt,
      now,
    });
  }

  /** The job's (type, queue) labels, or `(other)` for a pair past the first `maxLabelSets`. */
  #labels(job: Job): { type: string; queue: string } {
    const key = `${job.type}\n${job.queue}`;
    let labels = this.#labelSets.get(key);
    if (labels === undefined) {
      if (this.#labelSets.size >= this.#maxLabelSets) return OTHER_LABELS;
      labels = { type: job.type, queue: job.queue };
      this.#labelSets.set(key, labels);
    }
    return labels;
  }

  #observeWait(job: Job): void {
    if (job.startedAt === undefined) return;
    const readyAt = Math.max(job.runAt, job.createdAt);
    this.#wait.observe(this.#labels(job), Math.max(0, job.startedAt - readyAt) / 1000);
  }

  #observeRun(job: Job, outcome: RunOutcome): void {
    if (job.startedAt === undefined) return;
    // A retrying job has not finished; its attempt ended at the update that made it retrying.
    const endedAt = outcome === 'retrying' ? job.updatedAt : (job.finishedAt ?? job.updatedAt);
    const ms = Math.max(0, endedAt - job.startedAt);
    this.#run.observe({ type: this.#labels(job).type, outcome }, ms / 1000);
    const stats = this.#runStats;
    stats.count++;
    stats.sumMs += ms;
    stats.minMs = stats.minMs === undefined ? ms : Math.min(stats.minMs, ms);
    stats.maxMs = stats.maxMs === undefined ? ms : Math.max(stats.maxMs, ms);
  }

  /** The local pool's slots, and the remote workers' (left out when they cannot be read). */
  async #workerSlots(): Promise<{
    local?: { busy: number; concurrency: number };
    remote?: { workers: number; busy: number; concurrency: number };
  }> {
    const local = this.#workers?.();
    let remote: { workers: number; busy: number; concurrency: number } | undefined;
    try {
      remote = await this.#remote?.();
    } catch {
      remote = undefined;
    }
    return {
      ...(local === undefined ? {} : { local }),
      ...(remote === undefined ? {} : { remote }),
    };
  }

  async #waitingCounts(): Promise<readonly { type: string; count: number }[]> {
    try {
      return (await this.#waiting?.()) ?? [];
    } catch {
      return [];
    }
  }

  async #counts(): Promise<JobCounts | undefined> {
    // A store that cannot answer (closed, unreachable) leaves the gauges empty rather than
    // failing the whole scrape; /health reports the store itself.
    try {
      return await this.#store?.counts();
    } catch {
      return undefined;
    }
  }

  async #sizeBytes(): Promise<number | undefined> {
    try {
      return await this.#store?.sizeBytes();
    } catch {
      return undefined;
    }
  }
}

function checkBuckets(name: string, buckets: unknown): number[] {
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some((b, i) => typeof b !== 'number' || !(b > 0) || (i > 0 && b <= buckets[i - 1]))
  ) {
    throw new RangeError(`${name} must be a non-empty increasing list of positive numbers`);
  }
  return buckets as number[];
}
