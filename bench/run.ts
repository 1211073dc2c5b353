/**
 * `pnpm bench [suite ...] [--jobs N]`: runs the benchmarks and prints one Markdown table.
 * Suites: store (default: all available).
 */
import { engineBench } from './engine-bench.js';
import { storeBench } from './store-bench.js';
import { printTable, type BenchRow } from './table.js';

const args = process.argv.slice(2);
const jobsFlag = args.indexOf('--jobs');
const jobs = jobsFlag >= 0 ? Number(args[jobsFlag + 1]) : 10_000;
const suites = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--jobs');

const ALL: Record<string, (jobs: number) => Promise<BenchRow[]>> = {
  store: storeBench,
  engine: engineBench,
};

const selected = suites.length > 0 ? suites : Object.keys(ALL);
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
