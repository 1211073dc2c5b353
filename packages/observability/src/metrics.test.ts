import {
  DEFAULT_BACKOFF,
  JOB_STATES,
  type Job,
  type JobCounts,
  type JobEvents,
  type JobState,
  TypedEmitter,
} from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';
import { parsePrometheus as parse } from './testing/parse-prometheus.js';
import { promtoolMissing, runPromtool } from './testing/promtool.js';

const T0 = Date.UTC(2026, 0, 1);

function job(overrides: Partial<Job> = {}): Job {
  return {
    id: '0190d7a0-0000-7000-8000-000000000000',
    type: 'echo',
    queue: 'default',
    payload: null,
    priority: 2,
    state: 'scheduled',
    attempt: 0,
    maxAttempts: 3,
    timeoutMs: 1_800_000,
    backoff: DEFAULT_BACKOFF,
    runAt: T0,
    dependsOn: [],
    waitingOn: [],
    tags: {},
    errors: [],
    seq: 1,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function emptyCounts(): JobCounts {
  const byState = {} as Record<JobState, number>;
  const byPriority = {} as JobCounts['byPriority'];
  for (const state of JOB_STATES) {
    byState[state] = 0;
    byPriority[state] = [0, 0, 0, 0, 0];
  }
  return { total: 0, byState, byPriority };
}

function feed(events: TypedEmitter<JobEvents>): void {
  const echo = job();
  const sleep = job({ type: 'sleep', queue: 'slow' });
  events.emit('job:created', echo);
  events.emit('job:created', echo);
  events.emit('job:created', echo);
  events.emit('job:created', sleep);
  // echo waited 250 ms after being created, then ran 1.5 s.
  events.emit('job:started', job({ state: 'running', attempt: 1, startedAt: T0 + 250 }));
  events.emit(
    'job:completed',
    job({ state: 'completed', startedAt: T0 + 250, finishedAt: T0 + 1750, updatedAt: T0 + 1750 }),
  );
  // A second echo ran 0.5 s, then a 3 s retry went to the dead letter queue.
  events.emit(
    'job:retrying',
    job({ state: 'retrying', startedAt: T0 + 1000, updatedAt: T0 + 1500, runAt: T0 + 2000 }),
  );
  events.emit(
    'job:dead_letter',
    job({ state: 'dead_letter', startedAt: T0 + 2000, finishedAt: T0 + 5000 }),
  );
  // sleep was delayed to T0 + 10 s and started 2 s later, then failed after 20 ms; another cancelled.
  events.emit('job:started', { ...sleep, runAt: T0 + 10_000, startedAt: T0 + 12_000 });
  events.emit('job:failed', { ...sleep, startedAt: T0 + 12_000, finishedAt: T0 + 12_020 });
  events.emit('job:cancelled', sleep);
  // An echo snoozed twice.
  const snoozed = job({ state: 'scheduled', updatedAt: T0 + 100, runAt: T0 + 30_100 });
  events.emit('job:snoozed', snoozed);
  events.emit('job:snoozed', snoozed);
}

describe('Metrics', () => {
  it('counts job events by type and queue', async () => {
    const metrics = new Metrics({ collectProcessMetrics: false });
    const events = new TypedEmitter<JobEvents>();
    metrics.observeEvents(events);
    feed(events);
    const values = parse(await metrics.render());
    expect(values.get('gq_jobs_enqueued_total{queue="default",type="echo"}')).toBe(3);
    expect(values.get('gq_jobs_enqueued_total{queue="slow",type="sleep"}')).toBe(1);
    expect(values.get('gq_jobs_completed_total{queue="default",type="echo"}')).toBe(1);
    expect(values.get('gq_jobs_retried_total{queue="default",type="echo"}')).toBe(1);
    expect(values.get('gq_jobs_dead_letter_total{queue="default",type="echo"}')).toBe(1);
    expect(values.get('gq_jobs_failed_total{queue="slow",type="sleep"}')).toBe(1);
    expect(values.get('gq_jobs_cancelled_total{queue="slow",type="sleep"}')).toBe(1);
    expect(values.get('gq_jobs_snoozed_total{queue="default",type="echo"}')).toBe(2);
    expect(values.has('gq_jobs_completed_total{queue="slow",type="sleep"}')).toBe(false);
  });

  it('observes wait time from ready to start and run time by outcome', async () => {
    const metrics = new Metrics({ collectProcessMetrics: false });
    const events = new TypedEmitter<JobEvents>();
    metrics.observeEvents(events);
    feed(events);
    const v = parse(await metrics.render());
    expect(v.get('gq_job_wait_seconds_count{queue="default",type="echo"}')).toBe(1);
    expect(v.get('gq_job_wait_seconds_sum{queue="default",type="echo"}')).toBe(0.25);
    expect(v.get('gq_job_wait_seconds_bucket{le="0.1",queue="default",type="echo"}')).toBe(0);
    expect(v.get('gq_job_wait_seconds_bucket{le="0.25",queue="default",type="echo"}')).toBe(1);
    expect(v.get('gq_job_wait_seconds_sum{queue="slow",type="sleep"}')).toBe(2);
    expect(v.get('gq_job_run_seconds_sum{outcome="completed",type="echo"}')).toBe(1.5);
    expect(v.get('gq_job_run_seconds_sum{outcome="retrying",type="echo"}')).toBe(0.5);
    expect(v.get('gq_job_run_seconds_sum{outcome="dead_letter",type="echo"}')).toBe(3);
    expect(v.get('gq_job_run_seconds_sum{outcome="failed",type="sleep"}')).toBe(0.02);
    expect(v.get('gq_job_run_seconds_count{outcome="failed",type="sleep"}')).toBe(1);
  });

  it('stops counting after the returned function is called', async () => {
    const metrics = new Metrics({ collectProcessMetrics: false });
    const events = new TypedEmitter<JobEvents>();
    const stop = metrics.observeEvents(events);
    events.emit('job:created', job());
    stop();
    events.emit('job:created', job());
    expect(events.listenerCount('job:created')).toBe(0);
    const v = parse(await metrics.render());
    expect(v.get('gq_jobs_enqueued_total{queue="default",type="echo"}')).toBe(1);
  });

  it('reads job, store and worker gauges from their sources at scrape time', async () => {
    const metrics = new Metrics({ collectProcessMetrics: false });
    const counts = emptyCounts();
    let size = 4096;
    metrics.setStoreSource({
      counts: () => Promise.resolve(counts),
      sizeBytes: () => Promise.resolve(size),
    });
    let busy = 3;
    metrics.setWorkerSource(() => ({ busy, concurrency: 10 }));
    let remote = { workers: 2, busy: 5, concurrency: 8 };
    metrics.setRemoteWorkerSource(() => Promise.resolve(remote));
    let waiting = [
      { type: 'a.t', count: 3 },
      { type: 'b.t', count: 10_000 },
    ];
    metrics.setWaitingSource(() => Promise.resolve(waiting));
    counts.byPriority.scheduled = [1, 0, 5, 0, 2];
    counts.byPriority.running = [0, 0, 3, 0, 0];
    let v = parse(await metrics.render());
    expect(v.get('gq_jobs{priority="critical",state="scheduled"}')).toBe(1);
    expect(v.get('gq_jobs{priority="normal",state="scheduled"}')).toBe(5);
    expect(v.get('gq_jobs{priority="bulk",state="scheduled"}')).toBe(2);
    expect(v.get('gq_jobs{priority="normal",state="running"}')).toBe(3);
    expect(v.get('gq_jobs{priority="high",state="completed"}')).toBe(0);
    expect([...v.keys()].filter((k) => k.startsWith('gq_jobs{'))).toHaveLength(45);
    expect(v.get('gq_store_size_bytes')).toBe(4096);
    expect(v.get('gq_workers_busy{kind="local"}')).toBe(3);
    expect(v.get('gq_workers{kind="local"}')).toBe(10);
    expect(v.get('gq_workers_busy{kind="remote"}')).toBe(5);
    expect(v.get('gq_workers{kind="remote"}')).toBe(8);
    expect(v.get('gq_remote_workers')).toBe(2);
    expect(v.get('gq_jobs_waiting_no_handler{type="a.t"}')).toBe(3);
    expect(v.get('gq_jobs_waiting_no_handler{type="b.t"}')).toBe(10_000);

    counts.byPriority.scheduled = [0, 0, 4, 0, 2];
    size = 8192;
    busy = 0;
    remote = { workers: 0, busy: 0, concurrency: 0 };
    waiting = [{ type: 'b.t', count: 1 }];
    v = parse(await metrics.render());
    expect(v.get('gq_jobs{priority="critical",state="scheduled"}')).toBe(0);
    expect(v.get('gq_jobs{priority="normal",state="scheduled"}')).toBe(4);
    expect(v.get('gq_store_size_bytes')).toBe(8192);
    expect(v.get('gq_workers_busy{kind="local"}')).toBe(0);
    expect(v.get('gq_remote_workers')).toBe(0);
    expect(v.has('gq_jobs_waiting_no_handler{type="a.t"}')).toBe(false);
    expect(v.get('gq_jobs_waiting_no_handler{type="b.t"}')).toBe(1);
  });

  it('renders no job gauges, and no failure, when the store cannot answer', async () => {
    const metrics = new Metrics({ collectProcessMetrics: false });
    metrics.setStoreSource({
      counts: () => Promise.reject(new Error('closed')),
      sizeBytes: () => Promise.reject(new Error('closed')),
    });
    const v = parse(await metrics.render());
    expect([...v.keys()].filter((k) => k.startsWith('gq_jobs{'))).toEqual([]);
    // An unlabelled gauge with no value renders as 0.
    expect(v.get('gq_store_size_bytes')).toBe(0);
  });

  it('adds process metrics and honours the prefix', async () => {
    const metrics = new Metrics({ prefix: 'queue_' });
    const events = new TypedEmitter<JobEvents>();
    metrics.observeEvents(events);
    events.emit('job:created', job());
    const v = parse(await metrics.render());
    expect(v.get('queue_jobs_enqueued_total{queue="default",type="echo"}')).toBe(1);
    expect(v.has('process_cpu_user_seconds_total')).toBe(true);
    expect(v.has('nodejs_heap_size_used_bytes')).toBe(true);
    expect(metrics.contentType).toContain('text/plain');
  });

  it('reports the original JSON metrics shape', async () => {
    const clock = new ManualClock(T0);
    const metrics = new Metrics({ collectProcessMetrics: false, clock });
    const events = new TypedEmitter<JobEvents>();
    metrics.observeEvents(events);
    feed(events);
    const counts = emptyCounts();
    counts.byState.scheduled = 4;
    counts.byState.delayed = 1;
    counts.byState.running = 2;
    counts.byState.completed = 7;
    counts.total = 14;
    metrics.setStoreSource({
      counts: () => Promise.resolve(counts),
      sizeBytes: () => Promise.resolve(512),
    });
    metrics.setWorkerSource(() => ({ busy: 1, concurrency: 6 }));
    // The remote workers' slots add to the local pool's.
    metrics.setRemoteWorkerSource(() => Promise.resolve({ workers: 1, busy: 1, concurrency: 2 }));
    clock.advance(90_000);
    expect(await metrics.json()).toEqual({
      jobs_enqueued: 4,
      jobs_completed: 1,
      jobs_failed: 2,
      jobs_retried: 1,
      jobs_dead_lettered: 1,
      jobs_cancelled: 1,
      jobs_by_type: { echo: 3, sleep: 1 },
      // Runs of 1500, 500, 3000 and 20 ms.
      avg_processing_time: 1_255_000_000,
      min_processing_time: 20_000_000,
      max_processing_time: 3_000_000_000,
      processing_count: 4,
      queue_depth: 5,
      jobs_by_state: {
        pending: 0,
        delayed: 1,
        scheduled: 4,
        running: 2,
        retrying: 0,
        completed: 7,
        failed: 0,
        dead_letter: 0,
        cancelled: 0,
      },
      storage_bytes: 512,
      workers: { busy: 2, total: 8, utilization: 0.25 },
      uptime: 90_000_000_000,
      timestamp: '2026-01-01T00:01:30.000Z',
    });
  });

  it('renders text that promtool check metrics accepts, process metrics included', async (ctx) => {
    const metrics = new Metrics();
    const events = new TypedEmitter<JobEvents>();
    metrics.observeEvents(events);
    feed(events);
    metrics.setStoreSource({
      counts: () => Promise.resolve(emptyCounts()),
      sizeBytes: () => Promise.resolve(512),
    });
    metrics.setWorkerSource(() => ({ busy: 1, concurrency: 4 }));
    metrics.setRemoteWorkerSource(() => Promise.resolve({ workers: 1, busy: 1, concurrency: 2 }));
    metrics.setWaitingSource(() => Promise.resolve([{ type: 'nobody.t', count: 2 }]));
    metrics.setQueueSource(() =>
      Promise.resolve([{ queue: 'emails', waiting: 7, oldestWaitingSeconds: 2.5 }]),
    );
    const text = await metrics.render();
    expect(queueValues(text)).toEqual([7, 2.5]);
    const v = parse(text);
    expect(v.get('gq_workers{kind="local"}')).toBe(4);
    expect(v.has('gq_workers_total')).toBe(false);
    expect(v.has('nodejs_active_handles_total')).toBe(false);
    expect([...v.keys()].some((k) => k.startsWith('nodejs_active_handles{'))).toBe(true);
    const result = await runPromtool(text);
    if (result === undefined) {
      promtoolMissing('the promtool check of the metrics');
      ctx.skip();
      return;
    }
    expect(result).toEqual({ code: 0, output: '' });
  });

  function queueValues(text: string): [number | undefined, number | undefined] {
    const v = parse(text);
    return [
      v.get('gq_queue_waiting{queue="emails"}'),
      v.get('gq_queue_oldest_waiting_seconds{queue="emails"}'),
    ];
  }

  it('rejects an invalid prefix or buckets', () => {
    expect(() => new Metrics({ prefix: '9x' })).toThrow(RangeError);
    expect(() => new Metrics({ waitBuckets: [1, 0.5] })).toThrow(/waitBuckets/);
  });

  it('counts the jobs of (type, queue) pairs past maxLabelSets under (other)', async () => {
    const metrics = new Metrics({ collectProcessMetrics: false, maxLabelSets: 2 });
    const events = new TypedEmitter<JobEvents>();
    metrics.observeEvents(events);
    for (const [type, queue] of [
      ['a', 'q'],
      ['b', 'q'],
      ['c', 'q'],
      ['a', 'r'],
      ['a', 'q'],
      ['d', 'q'],
    ]) {
      events.emit('job:created', job({ type, queue }));
    }
    events.emit(
      'job:completed',
      job({ type: 'z', state: 'completed', startedAt: T0, finishedAt: T0 + 500 }),
    );
    const v = parse(await metrics.render());
    const enqueued = [...v].filter(([name]) => name.startsWith('gq_jobs_enqueued_total'));
    expect(enqueued).toEqual([
      ['gq_jobs_enqueued_total{queue="q",type="a"}', 2],
      ['gq_jobs_enqueued_total{queue="q",type="b"}', 1],
      ['gq_jobs_enqueued_total{queue="(other)",type="(other)"}', 3],
    ]);
    expect(v.get('gq_job_run_seconds_sum{outcome="completed",type="(other)"}')).toBe(0.5);
    expect(v.get('gq_jobs_completed_total{queue="(other)",type="(other)"}')).toBe(1);
  });

  it('rejects a maxLabelSets outside 1 .. 100000, naming it', () => {
    for (const bad of [0, 1.5, 100_001, Number.NaN]) {
      expect(() => new Metrics({ maxLabelSets: bad })).toThrow(
        `maxLabelSets must be an integer from 1 to 100000; got ${String(bad)}`,
      );
    }
  });
});
