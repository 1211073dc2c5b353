import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJob } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool, type Isolation } from '@gopherqueue/worker';
import { until } from './latency-probe.js';
import { processCpuMs } from './proc-cpu.js';
import type { BenchRow } from './table.js';

/** A handler module that needs no file: each sandbox imports it from its URL. */
const NOOP = 'data:text/javascript,export default () => null';
/** Handlers in flight, as in the engine's drain rows. */
const IN_FLIGHT = 32;
/** Linux counts process CPU time in ticks of 1/100 s (`getconf CLK_TCK`). */

interface Setup {
  isolation: Isolation;
  sandboxes?: number;
  jobsPerSandbox?: number;
}

/**
 * Inline first (the baseline of the "vs inline" column); then 4 and 8 sandboxes of each mode,
 * sharing the 32 jobs in flight (8 or 4 jobs per sandbox, as `jobsPerSandbox` allows for
 * handlers that wait on I/O), then one job per sandbox (the default, for CPU-bound handlers).
 */
const SETUPS: Setup[] = [
  { isolation: 'inline' },
  ...(['thread', 'process'] as const).flatMap((isolation) =>
    [4, 8].map((sandboxes) => ({ isolation, sandboxes, jobsPerSandbox: IN_FLIGHT / sandboxes })),
  ),
  ...(['thread', 'process'] as const).flatMap((isolation) =>
    [4, 8].map((sandboxes) => ({ isolation, sandboxes, jobsPerSandbox: 1 })),
  ),
];

/**
 * Drain of queued no-op jobs on the embedded store (disk, durable), 32 in flight, with handlers
 * inline, in worker threads and in child processes. The sandboxes are started and warm before
 * the clock starts (a first round of jobs runs while the queue of the measured ones is paused).
 * CPU per job counts this process and the sandboxes' processes; RSS per sandbox is a child's own
 * for `process`, and for `thread` what the process gives back when its threads end (about).
 */
export async function isolationBench(jobs: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  let inlineRate: number | undefined;
  for (const setup of SETUPS) {
    const row = await drain(setup, jobs);
    const rate = row.jobs / row.seconds;
    inlineRate ??= rate;
    row.extra = { ...row.extra, 'vs inline': `${Math.round((100 * rate) / inlineRate)} %` };
    rows.push(row);
  }
  return rows;
}

async function drain(setup: Setup, jobs: number): Promise<BenchRow> {
  const dir = await mkdtemp(join(tmpdir(), 'gq-bench-isolation-'));
  const store = await LevelStore.open({ location: dir, durability: 'durable' });
  const scheduler = new Scheduler({ store });
  await scheduler.start();
  const pool = new WorkerPool({ store, scheduler, concurrency: IN_FLIGHT });
  const { isolation, sandboxes = 0, jobsPerSandbox = 1 } = setup;
  if (isolation === 'inline') {
    pool.register('noop', () => null);
  } else {
    // No loader flags from this process (tsx): a sandbox runs plain JavaScript.
    pool.register('noop', { module: NOOP, isolation, sandboxes, jobsPerSandbox, execArgv: [] });
  }
  try {
    pool.start();
    const warmup = 2 * IN_FLIGHT;
    await store.submitBatch(Array.from({ length: warmup }, () => createJob('noop', null)));
    await until(() => pool.stats().completed >= warmup);
    await store.pauseQueue('default');
    for (let i = 0; i < jobs; i += 500) {
      const n = Math.min(500, jobs - i);
      await store.submitBatch(Array.from({ length: n }, () => createJob('noop', null)));
    }
    const children0 = childCpuMs();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await store.resumeQueue('default');
    await until(() => pool.stats().completed >= warmup + jobs);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000 + (childCpuMs() - children0);
    const rssMb = isolation === 'process' ? childRssMb() : undefined;
    const rssBefore = process.memoryUsage().rss;
    await pool.stop();
    const perSandbox =
      isolation === 'inline'
        ? ''
        : (rssMb ?? (rssBefore - process.memoryUsage().rss) / 2 ** 20 / sandboxes).toFixed(0);
    return {
      suite: 'isolation',
      workload: `drain, ${IN_FLIGHT} in flight`,
      variant:
        isolation === 'inline'
          ? 'inline (disk, durable)'
          : `${isolation}, ${sandboxes} sandboxes × ${jobsPerSandbox} jobs`,
      jobs,
      seconds,
      extra: { 'cpu ms/job': (cpuMs / jobs).toFixed(3), 'RSS MB/sandbox': perSandbox },
      ...(isolation === 'thread' ? { target: '50 % of inline' } : {}),
    };
  } finally {
    await pool.stop();
    await scheduler.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** This process's children (the process sandboxes), from /proc; none where there is no /proc. */
function children(): number[] {
  try {
    return readdirSync('/proc/self/task').flatMap((task) =>
      readFileSync(`/proc/self/task/${task}/children`, 'utf8')
        .split(' ')
        .filter((pid) => pid.trim() !== '')
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** CPU time (user + system) the live children used so far, in ms. */
function childCpuMs(): number {
  let ms = 0;
  // A child that ended counts nothing.
  for (const pid of children()) ms += processCpuMs(pid) ?? 0;
  return ms;
}

/** The mean resident set of the live children, in MB. */
function childRssMb(): number | undefined {
  const sizes: number[] = [];
  for (const pid of children()) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      if (kb !== undefined) sizes.push(Number(kb) / 1024);
    } catch {
      // it ended
    }
  }
  return sizes.length === 0 ? undefined : sizes.reduce((a, b) => a + b, 0) / sizes.length;
}
