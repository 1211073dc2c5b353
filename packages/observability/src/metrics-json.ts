import { JOB_STATES, type JobCounts, type JobState } from '@gopherqueue/core';

/** Running totals of attempt run times, kept beside the histogram for min and max. */
export interface RunStats {
  count: number;
  sumMs: number;
  minMs: number | undefined;
  maxMs: number | undefined;
}

/** A counter as prom-client's `get()` reports it. */
interface CounterValues {
  values: { value: number; labels: Partial<Record<string, string | number>> }[];
}

/** What {@link buildJsonMetrics} reads. */
export interface JsonMetricsInput {
  counters: Record<
    'enqueued' | 'completed' | 'failed' | 'retried' | 'deadLetter' | 'cancelled',
    CounterValues
  >;
  run: RunStats;
  counts: JobCounts | undefined;
  sizeBytes: number | undefined;
  workers: { busy: number; concurrency: number } | undefined;
  uptimeMs: number;
  now: number;
}

/** States whose jobs wait to run: the original's queue depth. */
const WAITING: readonly JobState[] = ['pending', 'delayed', 'scheduled', 'retrying'];

const NS_PER_MS = 1_000_000;

function total(counter: CounterValues): number {
  return counter.values.reduce((sum, v) => sum + v.value, 0);
}

function byType(counter: CounterValues): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { value, labels } of counter.values) {
    const type = String(labels.type);
    out[type] = (out[type] ?? 0) + value;
  }
  return out;
}

/**
 * The original's JSON metrics, extended. Durations are integer nanoseconds as Go's
 * `time.Duration` encodes them; `jobs_failed` counts jobs that ended unsuccessfully (failed or
 * dead-lettered), as the original counted every unsuccessful end.
 */
export function buildJsonMetrics(input: JsonMetricsInput): Record<string, unknown> {
  const { counters, run, counts, workers } = input;
  const failed = total(counters.failed);
  const deadLettered = total(counters.deadLetter);
  const avgMs = run.count === 0 ? 0 : run.sumMs / run.count;
  const byState: Partial<Record<JobState, number>> = {};
  if (counts !== undefined) for (const state of JOB_STATES) byState[state] = counts.byState[state];
  const queueDepth =
    counts === undefined ? 0 : WAITING.reduce((sum, state) => sum + counts.byState[state], 0);
  const busy = workers?.busy ?? 0;
  const concurrency = workers?.concurrency ?? 0;
  return {
    jobs_enqueued: total(counters.enqueued),
    jobs_completed: total(counters.completed),
    jobs_failed: failed + deadLettered,
    jobs_retried: total(counters.retried),
    jobs_dead_lettered: deadLettered,
    jobs_cancelled: total(counters.cancelled),
    jobs_by_type: byType(counters.enqueued),
    avg_processing_time: Math.round(avgMs * NS_PER_MS),
    min_processing_time: Math.round((run.minMs ?? 0) * NS_PER_MS),
    max_processing_time: Math.round((run.maxMs ?? 0) * NS_PER_MS),
    processing_count: run.count,
    queue_depth: queueDepth,
    jobs_by_state: byState,
    storage_bytes: input.sizeBytes ?? 0,
    workers: {
      busy,
      total: concurrency,
      utilization: concurrency === 0 ? 0 : busy / concurrency,
    },
    uptime: Math.round(input.uptimeMs * NS_PER_MS),
    timestamp: new Date(input.now).toISOString(),
  };
}
