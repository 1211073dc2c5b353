import { expect, it } from 'vitest';
import { createJob } from '@gopherqueue/core';
import type { AttemptHarness } from './attempt-harness.js';
import { until, untilState } from './engine-fixture.js';

/**
 * A pool with queue weights over any source: its claims of one queue answer at once (an empty
 * queue does not hold the round up for the source's wait), and an idle pool still waits for new
 * work. Part of the attempt suite.
 */
export function weightedCases(harness: AttemptHarness): void {
  it('claims by queue weight: an empty queue drawn first leaves its slots to the next, and an idle pool wakes for new work', async () => {
    const e = await harness.open({
      concurrency: 2,
      queueWeights: { a: 6, b: 1 },
      // Always the first of the weights left: every round tries a, then b.
      random: () => 0,
    });
    const ran: string[] = [];
    e.pool.register('weighed', (ctx) => {
      ran.push(ctx.job.queue);
    });
    const onB = createJob('weighed', null, { queue: 'b' });
    const elsewhere = createJob('weighed', null, { queue: 'c' });
    await e.submit(onB);
    await e.submit(elsewhere);
    e.pool.start();
    await untilState(e.store, onB.id, 'completed');
    // Idle now: a job on a queue it weighs wakes it, one on another queue is left alone.
    const onA = createJob('weighed', null, { queue: 'a' });
    await e.submit(onA);
    await untilState(e.store, onA.id, 'completed');
    await until(() => (ran.length === 2 ? true : undefined), 'two runs');
    expect(ran).toEqual(['b', 'a']);
    expect((await e.store.get(elsewhere.id))?.state).toBe('scheduled');
  });
}
