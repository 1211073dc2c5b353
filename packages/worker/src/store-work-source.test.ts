import { describe, expect, it } from 'vitest';
import { createJob } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { Scheduler } from '@gopherqueue/scheduler';
import { StoreWorkSource } from './store-work-source.js';
import { until } from './testing/engine-fixture.js';
import type { JobChange } from './work-source.js';
import { storeHarness } from './testing/attempt-harness.js';
import { attemptSuite } from './testing/attempt-suite.js';

attemptSuite(storeHarness());

describe('StoreWorkSource.watch', () => {
  it('reports each update with the attempt it describes, so a late report of an earlier attempt is told apart', async () => {
    const store = await LevelStore.open({ memory: true });
    const scheduler = new Scheduler({ store });
    await scheduler.start();
    try {
      const source = new StoreWorkSource({ store, scheduler });
      const seen: JobChange[] = [];
      const stop = source.watch('w', (change) => seen.push(change));
      const { job } = await store.submit(createJob('t'));
      const [claimed] = await store.claim({ workerId: 'w', limit: 1, leaseMs: 60_000 });
      await store.fail(job.id, claimed!.leaseToken!, {
        error: { message: 'x', errorClass: 'error' },
        outcome: { state: 'retrying', runAt: 0 },
      });
      await until(() => (seen.length >= 2 ? true : undefined), 'two reports');
      expect(seen).toEqual([
        { id: job.id, state: 'running', attempt: 1, leaseToken: claimed!.leaseToken },
        { id: job.id, state: 'retrying', attempt: 1 },
      ]);
      await stop();
    } finally {
      await scheduler.stop();
      await store.close();
    }
  });
});
