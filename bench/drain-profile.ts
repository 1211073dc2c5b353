// Profiles only the drain (not the fill) of N jobs: writes a .cpuprofile to the given path.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createJob } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool } from '@gopherqueue/worker';

const N = Number(process.argv[2] ?? 30000);
const mode = process.argv[3] ?? 'durable';
const out = process.argv[4] ?? '/tmp/drain.cpuprofile';
const store = await LevelStore.open({
  location: `/tmp/drain-prof-${process.pid}`,
  memory: mode === 'memory',
  durability: mode === 'durable' ? 'durable' : 'relaxed',
});
const scheduler = new Scheduler({ store });
await scheduler.start();
for (let i = 0; i < N; i += 500)
  await store.submitBatch(Array.from({ length: 500 }, () => createJob('noop', null)));
const pool = new WorkerPool({ store, scheduler, concurrency: 32 });
pool.register('noop', () => null);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const t0 = performance.now();
const c0 = process.cpuUsage();
const e0 = performance.eventLoopUtilization();
pool.start();
while (pool.stats().completed < N) await new Promise((r) => setTimeout(r, 5));
const ms = performance.now() - t0;
const c = process.cpuUsage(c0);
const elu = performance.eventLoopUtilization(e0);
const { profile } = await session.post('Profiler.stop');
writeFileSync(out, JSON.stringify(profile));
console.log(
  `${mode} drain ${N}: ${Math.round((N / ms) * 1000)}/s, process cpu ${((c.user + c.system) / N).toFixed(1)} us/job, main loop busy ${((elu.active / N) * 1000).toFixed(1)} us/job (utilization ${(elu.utilization * 100).toFixed(0)} %)`,
);
await pool.stop();
await scheduler.stop();
await store.close();
