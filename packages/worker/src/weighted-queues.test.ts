import { describe, expect, it } from 'vitest';
import { createJob, type Job } from '@gopherqueue/core';
import { weightedOrder, type QueueWeight } from './queue-weights.js';
import { StoreWorkSource } from './store-work-source.js';
import { gate, until, useEngine, type Engine } from './testing/engine-fixture.js';
import type { WorkRequest, WorkSource } from './work-source.js';
import { WorkerPool } from './worker-pool.js';

/** A small seeded generator (mulberry32), so a weighted run is the same every time. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The queue drawn first in each of `rounds` claim rounds, replayed from the same seed. */
function firstDrawn(weights: readonly QueueWeight[], seed: number, rounds: number): string[] {
  const random = seeded(seed);
  return Array.from({ length: rounds }, () => weightedOrder(weights, random)[0]!);
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

async function fill(e: Engine, queue: string, count: number): Promise<Job[]> {
  const results = await e.store.submitBatch(
    Array.from({ length: count }, (_, i) => createJob('noop', { queue, i }, { queue })),
  );
  return results.map((result) => result.job);
}

/** A StoreWorkSource that records each claim request and how many of them are in flight. */
function recording(e: Engine): {
  source: WorkSource;
  claims: WorkRequest[];
  pending: () => number;
} {
  const inner = new StoreWorkSource({ store: e.store, scheduler: e.scheduler });
  const claims: WorkRequest[] = [];
  let pending = 0;
  const source: WorkSource = {
    claim: async (request, signal) => {
      claims.push(request);
      pending++;
      try {
        return await inner.claim(request, signal);
      } finally {
        pending--;
      }
    },
    heartbeat: (job, renewal) => inner.heartbeat(job, renewal),
    complete: (job, result) => inner.complete(job, result),
    fail: (job, report) => inner.fail(job, report),
    release: (job, delayMs) => inner.release(job, delayMs),
    dependencies: (job) => inner.dependencies(job),
    watch: (workerId, listener) => inner.watch(workerId, listener),
  };
  return { source, claims, pending: () => pending };
}

const SEED = 20_261_129;
const WEIGHTS: QueueWeight[] = [
  ['critical', 6],
  ['default', 3],
  ['low', 1],
];

describe('WorkerPool with queue weights', () => {
  const engine = useEngine();

  it('starts jobs of queues weighted 6:3:1 in shares near 60/30/10, each queue in order', async () => {
    const e = await engine({
      concurrency: 1,
      queueWeights: Object.fromEntries(WEIGHTS),
      random: seeded(SEED),
    });
    const started: Job[] = [];
    e.pool.register('noop', (ctx) => {
      started.push(ctx.job);
    });
    const submitted = new Map<string, string[]>();
    for (const [queue] of WEIGHTS) {
      submitted.set(
        queue,
        (await fill(e, queue, 300)).map((job) => job.id),
      );
    }
    e.pool.start();
    await until(
      () => (e.pool.stats().completed >= 300 ? true : undefined),
      '300 jobs completed',
      120_000,
    );
    await e.pool.stop();

    const first = started.slice(0, 300);
    const counts = countBy(first.map((job) => job.queue));
    // One slot: each round claims one job, from the queue drawn first (none empties in 300
    // rounds), so the counts are exactly the replayed draws.
    expect(counts).toEqual(countBy(firstDrawn(WEIGHTS, SEED, 300)));
    // And near the expected shares: within 4 standard deviations of Binomial(300, p), that is
    // 4 * sqrt(300 p (1 - p)): 180 ± 34, 90 ± 32, 30 ± 21.
    for (const [queue, weight] of WEIGHTS) {
      const p = weight / 10;
      const spread = 4 * Math.sqrt(300 * p * (1 - p));
      expect(Math.abs((counts[queue] ?? 0) - 300 * p), queue).toBeLessThanOrEqual(spread);
    }
    // Within a queue the order stays strict: each queue's jobs started in submission order.
    for (const [queue] of WEIGHTS) {
      const ids = started.filter((job) => job.queue === queue).map((job) => job.id);
      expect(ids).toEqual(submitted.get(queue)!.slice(0, ids.length));
    }
  }, 180_000);

  it('keeps running a weight-1 queue while the weight-6 queue is never empty', async () => {
    const weights: QueueWeight[] = [
      ['hot', 6],
      ['cold', 1],
    ];
    const e = await engine({
      concurrency: 1,
      queueWeights: Object.fromEntries(weights),
      random: seeded(SEED),
    });
    const started: string[] = [];
    e.pool.register('noop', (ctx) => {
      started.push(ctx.job.queue);
    });
    await fill(e, 'hot', 300);
    await fill(e, 'cold', 300);
    e.pool.start();
    await until(() => (started.length >= 140 ? true : undefined), '140 started jobs', 120_000);
    await e.pool.stop();
    // In 140 rounds hot (300 jobs) never ran out, yet cold ran in the rounds that drew it first:
    // 1 in 7, 20 expected, at least 20 - 4 * sqrt(140 * 1/7 * 6/7) = 3.4 within 4 deviations.
    const first = started.slice(0, 140);
    const drawn = firstDrawn(weights, SEED, 140);
    expect(first).toEqual(drawn);
    const cold = first.filter((queue) => queue === 'cold').length;
    expect(cold).toBeGreaterThanOrEqual(4);
    // And not only early on: cold ran in the last fifth of the rounds too.
    expect(first.slice(112).includes('cold')).toBe(true);
  }, 180_000);

  it('fills the free slots from the next queues in the same round when the first is empty', async () => {
    const e = await engine();
    const { source, claims } = recording(e);
    const pool = new WorkerPool({
      source,
      concurrency: 4,
      queueWeights: { a: 6, b: 3, c: 1 },
      // Always the first of the weights left: the order is a, b, c.
      random: () => 0,
    });
    const release = gate();
    const running: string[] = [];
    pool.register('noop', async (ctx) => {
      running.push(`${ctx.job.queue}${String((ctx.payload as { i: number }).i)}`);
      await release.promise;
    });
    await fill(e, 'b', 2);
    await fill(e, 'c', 5);
    pool.start();
    try {
      await until(() => (running.length === 4 ? true : undefined), 'four running jobs');
      expect(running.sort()).toEqual(['b0', 'b1', 'c0', 'c1']);
      // One round of three claims, none of which waits; the pool is full, so no more.
      expect(claims.map((c) => [c.queues, c.limit, c.wait])).toEqual([
        [['a'], 4, false],
        [['b'], 4, false],
        [['c'], 2, false],
      ]);
    } finally {
      release.open();
      await pool.stop();
    }
  });

  it('waits for work in one claim over every weighted queue when all are empty', async () => {
    const e = await engine();
    const { source, claims, pending } = recording(e);
    const pool = new WorkerPool({
      source,
      concurrency: 2,
      queueWeights: { a: 1, b: 1 },
      random: () => 0,
    });
    const done: string[] = [];
    pool.register('noop', (ctx) => {
      done.push(ctx.job.queue);
    });
    pool.start();
    try {
      await until(() => (claims.length === 3 && pending() === 1 ? true : undefined), 'a wait');
      expect(claims.map((c) => [c.queues, c.wait])).toEqual([
        [['a'], false],
        [['b'], false],
        [['a', 'b'], undefined],
      ]);
      // The waiting claim is woken by new work, as without weights.
      await e.scheduler.enqueue(createJob('noop', { i: 0 }, { queue: 'b' }));
      await until(() => (done.length === 1 ? true : undefined), 'the job on b');
      expect(done).toEqual(['b']);
    } finally {
      await pool.stop();
    }
  });
});
