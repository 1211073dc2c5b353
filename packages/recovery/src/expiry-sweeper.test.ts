import { join } from 'node:path';
import { createJob, type Job, type Store } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { JobEventRelay } from '@gopherqueue/scheduler';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExpirySweeper } from './expiry-sweeper.js';
import { makeTempDir, type TempDir } from './testing/temp-dir.js';

let dir: TempDir;
let clock: ManualClock;
let store: Store;

beforeEach(async () => {
  dir = await makeTempDir('expiry');
  clock = new ManualClock();
  store = await LevelStore.open({ location: join(dir.path, 'data'), clock });
});

afterEach(async () => {
  await store.close();
  await dir.remove();
});

/** Waits until `check` holds, letting the sweep's store calls (fsynced writes) settle. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition never held');
}

describe('ExpirySweeper', () => {
  it('cancels expired waiting jobs every interval, in batches, and emits job:expired', async () => {
    await store.pauseQueue('held');
    const specs = Array.from({ length: 5 }, (_, i) =>
      createJob('t', i, { queue: 'held', ttl: '2s' }, clock.now()),
    );
    await store.submitBatch(specs);
    const keeps = await store.submit(createJob('t', null, { ttl: '1h' }, clock.now()));
    const relay = new JobEventRelay({ store });
    const expired: Job[] = [];
    relay.on('job:expired', (job) => expired.push(job));
    relay.start();
    const sweeper = new ExpirySweeper({ store, clock, intervalMs: 1000, batchSize: 2 });
    sweeper.start();
    const start = clock.now();
    try {
      // Each tick sets the next timer once it settled: move the clock a second at a time.
      await until(async () => {
        clock.advance(1000);
        return Promise.resolve(expired.length === 5);
      });
      expect(expired.map((job) => job.cancelReason)).toEqual(Array(5).fill('expired'));
      for (const job of expired) expect(job.finishedAt).toBeGreaterThanOrEqual(start + 2000);
      expect((await store.get(keeps.job.id))?.state).toBe('scheduled');
      expect(await sweeper.runOnce()).toBe(0);
    } finally {
      await sweeper.stop();
      await relay.stop();
    }
  });

  it('refuses an interval past a minute and a batch below 1', () => {
    expect(() => new ExpirySweeper({ store, intervalMs: 60_001 })).toThrow(/intervalMs/);
    expect(() => new ExpirySweeper({ store, batchSize: 0 })).toThrow(/batchSize/);
  });
});
