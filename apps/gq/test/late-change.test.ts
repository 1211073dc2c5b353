import { createJob, type Job, type StoreChange } from '@gopherqueue/core';
import { PostgresStore } from '@gopherqueue/persistence';
import { Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool } from '@gopherqueue/worker';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { eventually } from './helpers/gq-process.js';
import {
  describeWithPostgres,
  dropSchemas,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './helpers/postgres.js';

const schemas: string[] = [];

/**
 * Nodes announce their changes to each other after the commit, on another connection than the
 * one a claim runs on, so news of a job's earlier attempt can reach a node after that node
 * claimed the job again. Such late news must not end the attempt that node is running.
 */
describeWithPostgres('late news of an earlier attempt from another node', () => {
  afterAll(() => dropSchemas(schemas));

  it("leaves running the attempt a node claimed after another node's take-back", async () => {
    const schema = uniqueSchema('gq_late');
    schemas.push(schema);
    const a = await PostgresStore.open({
      connectionString: TEST_POSTGRES_URL,
      schema,
      poolSize: 2,
    });
    const b = await PostgresStore.open({
      connectionString: TEST_POSTGRES_URL,
      schema,
      poolSize: 2,
    });
    const scheduler = new Scheduler({ store: b });
    const pool = new WorkerPool({ store: b, scheduler, concurrency: 1, leaseMs: 60_000 });
    const raw = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const started: number[] = [];
    try {
      await raw.connect();
      const { job } = await a.submit(createJob('late.t'));
      // Node A runs attempt 1 and loses it: the store takes the job back as a recoverer would.
      const [first] = await a.claim({ workerId: 'a', limit: 1, leaseMs: 60_000 });
      const failed = await a.fail(job.id, first!.leaseToken!, {
        error: { message: 'lease expired', errorClass: 'lease_expired' },
        outcome: { state: 'retrying', runAt: 0 },
      });
      expect(failed.attempt).toBe(1);
      // Node B claims attempt 2 and holds it open.
      pool.register('late.t', async (ctx) => {
        started.push(ctx.attempt);
        await gate;
        return { attempt: ctx.attempt };
      });
      await scheduler.start();
      pool.start();
      await eventually(
        () => Promise.resolve(started.length === 1 ? true : undefined),
        'attempt 2 began',
      );
      expect(started).toEqual([2]);

      // Now A's announcement of attempt 1's end arrives, as it would from a slow flush.
      const seen: StoreChange[] = [];
      b.subscribe((change) => seen.push(change));
      const late = JSON.stringify({
        o: 'node-a',
        c: [['updated', job.id, 'retrying', 'running', 'default', 0, 1]],
      });
      await raw.query('SELECT pg_notify($1, $2)', [`gopherqueue_${schema}`, late]);
      await eventually(
        () => Promise.resolve(seen.some((c) => c.id === job.id) ? true : undefined),
        'node B heard the late change',
      );
      open();
      const done = await eventually(async () => {
        const now = (await b.get(job.id)) as Job;
        return now.state === 'running' ? undefined : now;
      }, 'attempt 2 ended');
      expect({ state: done.state, attempt: done.attempt, result: done.result }).toEqual({
        state: 'completed',
        attempt: 2,
        result: { attempt: 2 },
      });
      expect(started).toEqual([2]);
    } finally {
      open();
      await pool.stop();
      await scheduler.stop();
      await raw.end();
      await a.close();
      await b.close();
    }
  }, 120_000);
});
