import type { Job, JobEvents, TypedEmitter } from '@gopherqueue/core';

/** Minutes of history kept: the last hour, the current minute included. */
export const HISTORY_MINUTES = 60;
const MINUTE_MS = 60_000;
/** Buckets per doubling of a duration: each bucket is 2^(1/4), about 19 %, wider than the last. */
const PER_DOUBLING = 4;
/** The last bucket ends at 2^32 ms (about 50 days); longer durations are counted in it. */
export const HISTOGRAM_BUCKETS = 32 * PER_DOUBLING + 1;
/** Queues counted apart within one minute, by default; the rest count in the totals only. */
export const DEFAULT_HISTORY_QUEUES = 32;

/**
 * The bucket of a duration: bucket 0 holds 0 to 1 ms, bucket i > 0 holds durations above
 * 2^((i-1)/4) ms up to 2^(i/4) ms; the last one holds everything longer.
 */
export function durationBucket(ms: number): number {
  if (!(ms > 1)) return 0;
  const i = Math.ceil(PER_DOUBLING * Math.log2(ms));
  return Math.min(HISTOGRAM_BUCKETS - 1, i);
}

/** The upper bound of bucket `i`, in ms: what a percentile falling in it is reported as. */
export function bucketUpperMs(i: number): number {
  return 2 ** (i / PER_DOUBLING);
}

/** Duration percentiles, in ms, as the upper bounds of the buckets they fall in. */
export interface DurationPercentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** One minute of history. */
export interface HistoryMinute {
  /** Start of the minute, ms since the epoch. */
  start: number;
  completed: number;
  failed: number;
  /** From when a job could run (the later of run_at and created_at) to its start. */
  waitMs: DurationPercentiles | null;
  /** From a job's start to its completion or failure. */
  runMs: DurationPercentiles | null;
  /**
   * When the history was asked for some queues only: the minute saw jobs of more queues than
   * it counts apart, so jobs of the asked queues may be missing from it.
   */
  incomplete: boolean;
}

/** What {@link ThroughputHistory.snapshot} answers. */
export interface HistorySnapshot {
  /** When this history started (the process's start): nothing before it is known. */
  since: number;
  now: number;
  /** {@link HISTORY_MINUTES} minutes, oldest first; the last is the current, partial minute. */
  minutes: HistoryMinute[];
}

interface Tally {
  completed: number;
  failed: number;
  wait: Uint32Array;
  run: Uint32Array;
  /** Finished jobs with a start time: how many durations each histogram holds. */
  timed: number;
}

interface Slot {
  /** Start of the minute this slot holds, or -1 when it never held one. */
  start: number;
  total: Tally;
  queues: Map<string, Tally>;
  /** Jobs counted in the total only: their queue came after the minute's limit of queues. */
  untracked: number;
}

/** Options of {@link ThroughputHistory}. */
export interface ThroughputHistoryOptions {
  /** Milliseconds since the epoch. @defaultValue Date.now */
  now?: () => number;
  /** Queues counted apart within one minute. @defaultValue 32 */
  maxQueues?: number;
}

function tally(): Tally {
  return {
    completed: 0,
    failed: 0,
    wait: new Uint32Array(HISTOGRAM_BUCKETS),
    run: new Uint32Array(HISTOGRAM_BUCKETS),
    timed: 0,
  };
}

function percentiles(histogram: Uint32Array, count: number): DurationPercentiles | null {
  if (count === 0) return null;
  const at = (p: number): number => {
    const rank = Math.max(1, Math.ceil(p * count));
    let seen = 0;
    for (let i = 0; i < histogram.length; i++) {
      seen += histogram[i] ?? 0;
      if (seen >= rank) return bucketUpperMs(i);
    }
    return bucketUpperMs(histogram.length - 1);
  };
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/**
 * Jobs completed and failed per minute over the last hour, with wait and run time percentiles,
 * kept in memory by this process from the job events it sees: a ring of 60 minutes, each with a
 * fixed histogram of 129 log-spaced buckets per duration for all jobs and for each of its first
 * `maxQueues` queues, so its memory is bounded (about 1 KiB per counted queue and minute) whatever
 * the traffic. It starts empty. A percentile is reported as the upper bound of its bucket.
 */
export class ThroughputHistory {
  readonly #now: () => number;
  readonly #maxQueues: number;
  readonly #since: number;
  readonly #slots: Slot[];

  constructor(options: ThroughputHistoryOptions = {}) {
    this.#now = options.now ?? Date.now;
    const maxQueues = options.maxQueues ?? DEFAULT_HISTORY_QUEUES;
    if (!Number.isInteger(maxQueues) || maxQueues < 0 || maxQueues > 10_000) {
      throw new RangeError('maxQueues must be an integer from 0 to 10000');
    }
    this.#maxQueues = maxQueues;
    this.#since = this.#now();
    this.#slots = Array.from({ length: HISTORY_MINUTES }, () => ({
      start: -1,
      total: tally(),
      queues: new Map<string, Tally>(),
      untracked: 0,
    }));
  }

  /** Records a finished job now: its outcome, queue and, when known, its wait and run times. */
  record(outcome: 'completed' | 'failed', queue: string, waitMs?: number, runMs?: number): void {
    const slot = this.#slot(this.#now());
    let perQueue = slot.queues.get(queue);
    if (perQueue === undefined && slot.queues.size < this.#maxQueues) {
      perQueue = tally();
      slot.queues.set(queue, perQueue);
    }
    if (perQueue === undefined) slot.untracked++;
    for (const t of perQueue === undefined ? [slot.total] : [slot.total, perQueue]) {
      t[outcome]++;
      if (waitMs !== undefined && runMs !== undefined) {
        t.timed++;
        const w = durationBucket(waitMs);
        const r = durationBucket(runMs);
        t.wait[w] = (t.wait[w] ?? 0) + 1;
        t.run[r] = (t.run[r] ?? 0) + 1;
      }
    }
  }

  /** Records a job that just completed or failed, its times taken from the job. */
  recordJob(job: Job, outcome: 'completed' | 'failed'): void {
    if (job.startedAt === undefined) {
      this.record(outcome, job.queue);
      return;
    }
    const readyAt = Math.max(job.runAt, job.createdAt);
    const endedAt = job.finishedAt ?? job.updatedAt;
    this.record(
      outcome,
      job.queue,
      Math.max(0, job.startedAt - readyAt),
      Math.max(0, endedAt - job.startedAt),
    );
  }

  /**
   * Counts `job:completed` as completed, `job:failed` and `job:dead_letter` as failed (a job
   * that will be retried is not counted until its last attempt). Returns the unsubscribe.
   */
  observe(events: TypedEmitter<JobEvents>): () => void {
    const offs = [
      events.on('job:completed', (job) => this.recordJob(job, 'completed')),
      events.on('job:failed', (job) => this.recordJob(job, 'failed')),
      events.on('job:dead_letter', (job) => this.recordJob(job, 'failed')),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  /**
   * The last {@link HISTORY_MINUTES} minutes, oldest first: of every job, or, with `queues`, of
   * the jobs of those queues only.
   */
  snapshot(queues?: readonly string[]): HistorySnapshot {
    const now = this.#now();
    const current = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const minutes: HistoryMinute[] = [];
    for (let k = HISTORY_MINUTES - 1; k >= 0; k--) {
      const start = current - k * MINUTE_MS;
      const slot = this.#slots[this.#index(start)];
      const held = slot !== undefined && slot.start === start;
      let t = held ? slot.total : undefined;
      if (held && queues !== undefined) {
        t = tally();
        for (const name of queues) {
          const q = slot.queues.get(name);
          if (q === undefined) continue;
          t.completed += q.completed;
          t.failed += q.failed;
          t.timed += q.timed;
          for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
            t.wait[i] = (t.wait[i] ?? 0) + (q.wait[i] ?? 0);
            t.run[i] = (t.run[i] ?? 0) + (q.run[i] ?? 0);
          }
        }
      }
      minutes.push({
        start,
        completed: t?.completed ?? 0,
        failed: t?.failed ?? 0,
        waitMs: t === undefined ? null : percentiles(t.wait, t.timed),
        runMs: t === undefined ? null : percentiles(t.run, t.timed),
        incomplete: held && queues !== undefined && slot.untracked > 0,
      });
    }
    return { since: this.#since, now, minutes };
  }

  /** Histograms held now (all jobs' and each counted queue's, per minute): what memory grows with. */
  get tallies(): number {
    let n = 0;
    for (const slot of this.#slots) n += slot.start < 0 ? 0 : 1 + slot.queues.size;
    return n;
  }

  /** The most {@link tallies} can be: its memory bound. */
  get maxTallies(): number {
    return HISTORY_MINUTES * (1 + this.#maxQueues);
  }

  #index(start: number): number {
    return (((start / MINUTE_MS) % HISTORY_MINUTES) + HISTORY_MINUTES) % HISTORY_MINUTES;
  }

  /** The slot of the minute of `at`, emptied first when it held an older minute. */
  #slot(at: number): Slot {
    const start = Math.floor(at / MINUTE_MS) * MINUTE_MS;
    const slot = this.#slots[this.#index(start)] as Slot;
    if (slot.start !== start) {
      slot.start = start;
      slot.total = tally();
      slot.queues.clear();
      slot.untracked = 0;
    }
    return slot;
  }
}
