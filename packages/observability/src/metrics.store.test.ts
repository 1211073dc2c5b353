import { createJob } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { JobEventRelay } from '@gopherqueue/scheduler';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';
import { queueGaugeValues } from './queue-gauges.js';
import { parsePrometheus as parse } from './testing/parse-prometheus.js';

const T0 = Date.UTC(2026, 0, 1);
let store: LevelStore | undefined;

afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('Metrics over a real store', () => {
  it('counts what the store did and reads its gauges at scrape time', async () => {
    const clock = new ManualClock(T0);
    const s = await LevelStore.open({ memory: true, clock });
    store = s;
    const relay = new JobEventRelay({ store: s });
    relay.start();
    const metrics = new Metrics({ collectProcessMetrics: false, clock });
    metrics.observeEvents(relay);
    metrics.setStoreSource(s);
    metrics.setWorkerSource(() => ({ busy: 1, concurrency: 4 }));

    await s.submit(createJob('echo', 1, { priority: 'high' }, T0));
    await s.submit(createJob('echo', 2, {}, T0));
    await s.submit(createJob('echo', 3, {}, T0));
    const sleep = await s.submit(createJob('sleep', '5s', { queue: 'slow' }, T0));
    clock.advance(250);
    const [first, second] = await s.claim({ workerId: 'w', limit: 2, leaseMs: 30_000 });
    clock.advance(1500);
    await s.complete(first!.id, first!.leaseToken!, 'ok');
    await s.fail(second!.id, second!.leaseToken!, {
      error: { message: 'boom', errorClass: 'error' },
      outcome: { state: 'retrying', runAt: clock.now() + 1000 },
    });
    await s.cancel(sleep.job.id, 'not needed');
    await relay.stop();

    metrics.setQueueSource(async () => queueGaugeValues(await s.listQueues(), clock.now()));
    const v = parse(await metrics.render());
    // The queue gauges: the retrying job is due in 1 s; the scheduled one waits since T0.
    expect(v.get('gq_queue_waiting{queue="default"}')).toBe(2);
    expect(v.get('gq_queue_oldest_waiting_seconds{queue="default"}')).toBe(1.75);
    expect(v.get('gq_queue_waiting{queue="slow"}')).toBe(0);
    expect(v.get('gq_queue_oldest_waiting_seconds{queue="slow"}')).toBe(0);
    expect(v.get('gq_jobs_enqueued_total{queue="default",type="echo"}')).toBe(3);
    expect(v.get('gq_jobs_enqueued_total{queue="slow",type="sleep"}')).toBe(1);
    expect(v.get('gq_jobs_completed_total{queue="default",type="echo"}')).toBe(1);
    expect(v.get('gq_jobs_retried_total{queue="default",type="echo"}')).toBe(1);
    expect(v.get('gq_jobs_cancelled_total{queue="slow",type="sleep"}')).toBe(1);
    expect(v.get('gq_job_wait_seconds_count{queue="default",type="echo"}')).toBe(2);
    expect(v.get('gq_job_wait_seconds_sum{queue="default",type="echo"}')).toBe(0.5);
    expect(v.get('gq_job_run_seconds_sum{outcome="completed",type="echo"}')).toBe(1.5);
    expect(v.get('gq_job_run_seconds_sum{outcome="retrying",type="echo"}')).toBe(1.5);

    expect(v.get('gq_jobs{priority="normal",state="scheduled"}')).toBe(1);
    expect(v.get('gq_jobs{priority="normal",state="retrying"}')).toBe(1);
    expect(v.get('gq_jobs{priority="high",state="completed"}')).toBe(1);
    expect(v.get('gq_jobs{priority="normal",state="cancelled"}')).toBe(1);
    expect(v.get('gq_jobs{priority="normal",state="running"}')).toBe(0);
    expect(v.get('gq_store_size_bytes')).toBe(await s.sizeBytes());
    expect(v.get('gq_workers_busy{kind="local"}')).toBe(1);
    expect(v.get('gq_workers{kind="local"}')).toBe(4);

    expect(await metrics.json()).toMatchObject({
      jobs_enqueued: 4,
      jobs_completed: 1,
      jobs_failed: 0,
      jobs_retried: 1,
      jobs_cancelled: 1,
      jobs_by_type: { echo: 3, sleep: 1 },
      avg_processing_time: 1_500_000_000,
      processing_count: 2,
      queue_depth: 2,
      workers: { busy: 1, total: 4, utilization: 0.25 },
    });
  });
});
