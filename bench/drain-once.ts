// One drain of N jobs (in memory, or on disk relaxed/durable), for instruction counts under
// `valgrind --tool=callgrind`, which are repeatable when wall time is not.
import { createJob } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool } from '@gopherqueue/worker';

const N = Number(process.argv[2] ?? 2000);
const mode = process.argv[3] ?? 'memory';
const store = await LevelStore.open({
  location: `/tmp/drain-once-${process.pid}`,
  memory: mode === 'memory',
  durability: mode === 'durable' ? 'durable' : 'relaxed',
});
const scheduler = new Scheduler({ store });
await scheduler.start();
for (let i = 0; i < N; i += 500) {
  await store.submitBatch(
    Array.from({ length: Math.min(500, N - i) }, () => createJob('noop', null)),
  );
}
const pool = new WorkerPool({ store, scheduler, concurrency: 32 });
pool.register('noop', () => null);
pool.start();
while (pool.stats().completed < N) await new Promise((r) => setTimeout(r, 5));
await pool.stop();
await scheduler.stop();
await store.close();
