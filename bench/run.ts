/**
 * `pnpm bench [suite ...] [--jobs N] [--variant TEXT] [--workload TEXT] [--scale N,N]`: runs the
 * benchmarks and prints one Markdown table. Suites: disk (synced LevelDB writes of one job's and
 * of 32 jobs' entries: the machine's floor for durable submits, first in the default run), store, engine, isolation, http,
 * remote (a drain by one `gq work` over the lease API against `gq serve`'s own pool), postgres, rate
 * (a drain of a queue limited to 5000/1s, on LevelStore and PostgresStore), groups (claims
 * with 1,000 group keys at group_concurrency 2, against no per-key limit), and
 * scale (a backlog of waiting jobs; not in the default run, which is every other suite),
 * schedules (`--schedules N`, default and most 10000, a store's limit, in two shapes, `--shape
 * aligned,spread`: all due at once for `--ticks` ticks (default 3), and each due once a minute
 * spread over the minute for `--minutes` minutes (default 2)).
 * `--variant` and `--workload` run only the store rows whose variant (`disk, durable`,
 * `disk, relaxed`, `memory`) or workload contains the text. `--scale` lists the backlog sizes
 * (default 1000000); `--settle` compacts each filled database before it is measured. dashboard (not in the default run either): `--jobs N` jobs stored (default
 * 1000000), then the requests of the dashboard's overview and of a jobs page, timed.
 */
import { MAX_SCHEDULES } from '@gopherqueue/core';
import { dashboardBench } from './dashboard-bench.js';
import { diskBench } from './disk-bench.js';
import { engineBench } from './engine-bench.js';
import { groupBench } from './group-bench.js';
import { httpBench } from './http-bench.js';
import { isolationBench } from './isolation-bench.js';
import { postgresBench } from './postgres-bench.js';
import { rateBench } from './rate-bench.js';
import { remoteBench } from './remote-bench.js';
import { scaleBench } from './scale-bench.js';
import { scheduleBench } from './schedule-bench.js';
import { storeBench } from './store-bench.js';
import { printTable, type BenchRow } from './table.js';

const args = process.argv.slice(2);
const jobsFlag = args.indexOf('--jobs');
const jobs = jobsFlag >= 0 ? Number(args[jobsFlag + 1]) : 10_000;
const VALUED = new Set([
  '--jobs',
  '--variant',
  '--workload',
  '--scale',
  '--schedules',
  '--shape',
  '--minutes',
  '--ticks',
]);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const filter = { variant: flag('--variant'), workload: flag('--workload') };
const suites = args.filter((a, i) => !a.startsWith('--') && !VALUED.has(args[i - 1] ?? ''));

const ALL: Record<string, (jobs: number) => Promise<BenchRow[]>> = {
  disk: () => diskBench(),
  store: (n) => storeBench(n, filter),
  engine: engineBench,
  isolation: isolationBench,
  http: httpBench,
  postgres: postgresBench,
  remote: remoteBench,
  rate: () => rateBench(),
  groups: (n) => groupBench(Math.min(n, 20_000)),
  scale: () =>
    scaleBench((flag('--scale') ?? '1000000').split(',').map(Number), args.includes('--settle')),
  schedules: () =>
    scheduleBench({
      schedules: Number(flag('--schedules') ?? MAX_SCHEDULES),
      shapes: (flag('--shape') ?? 'aligned,spread').split(',').map((shape) => {
        if (shape !== 'aligned' && shape !== 'spread') {
          throw new RangeError(`--shape must list aligned and/or spread; got ${shape}`);
        }
        return shape;
      }),
      minutes: Number(flag('--minutes') ?? 2),
      ticks: Number(flag('--ticks') ?? 3),
    }),
  dashboard: () => dashboardBench(jobsFlag >= 0 ? jobs : 1_000_000),
};

const selected =
  suites.length > 0
    ? suites
    : Object.keys(ALL).filter((name) => name !== 'scale' && name !== 'dashboard');
const rows: BenchRow[] = [];
for (const name of selected) {
  const suite = ALL[name];
  if (!suite) {
    console.error(`unknown suite ${name}; choose from ${Object.keys(ALL).join(', ')}`);
    process.exit(2);
  }
  console.error(`running ${name} (${jobs} jobs) ...`);
  rows.push(...(await suite(jobs)));
}
printTable(rows);
