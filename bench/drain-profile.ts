// Profiles only the drain (not the fill) of N jobs: writes a .cpuprofile to the given path.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createJob } from '@gopherqueue/core';
import { LevelStore, PostgresStore } from '@gopherqueue/persistence';
import {
  dropSchemas,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from '../packages/persistence/src/postgres/test-database.js';
import { postgresCpuMs } from './proc-cpu.js';
import { Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool } from '@gopherqueue/worker';

const N = Number(process.argv[2] ?? 30000);
const mode = process.argv[3] ?? 'durable';
const out = process.argv[4] ?? '/tmp/drain.cpuprofile';
// Modes: durable, relaxed and memory (LevelStore), postgres (a fresh schema of the test database,
// dropped after).
const schema = uniqueSchema('gq_drain_prof');
const store =
  mode === 'postgres'
    ? await PostgresStore.open({
        connectionString: process.env.GQ_BENCH_POSTGRES_URL ?? TEST_POSTGRES_URL,
        schema,
        poolSize: 8,
      })
    : await LevelStore.open({
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
// The database's CPU, read from /proc outside the timed drain and only where a database works.
const server0 = mode === 'postgres' ? postgresCpuMs() : undefined;
const t0 = performance.now();
const c0 = process.cpuUsage();
const e0 = performance.eventLoopUtilization();
pool.start();
while (pool.stats().completed < N) await new Promise((r) => setTimeout(r, 5));
const ms = performance.now() - t0;
const c = process.cpuUsage(c0);
const elu = performance.eventLoopUtilization(e0);
const server1 = mode === 'postgres' ? postgresCpuMs() : undefined;
const { profile } = await session.post('Profiler.stop');
writeFileSync(out, JSON.stringify(profile));
console.log(
  `${mode} drain ${N}: ${Math.round((N / ms) * 1000)}/s, process cpu ${((c.user + c.system) / N).toFixed(1)} us/job, main loop busy ${((elu.active / N) * 1000).toFixed(1)} us/job (utilization ${(elu.utilization * 100).toFixed(0)} %)`,
);
await pool.stop();
await scheduler.stop();
await store.close();
if (mode === 'postgres') {
  await dropSchemas([schema]);
  if (server0 !== undefined && server1 !== undefined) {
    console.log(`postgres cpu ${(((server1 - server0) * 1000) / N).toFixed(1)} us/job`);
  }
}
