/** One measured row of the benchmark table. */
export interface BenchRow {
  suite: string;
  workload: string;
  variant: string;
  jobs: number;
  seconds: number;
  /** Extra columns (p50/p99 latency, CPU ms per job, RSS). */
  extra?: Record<string, string>;
  target?: string;
}

/** Measures a workload: wall time, jobs/s and CPU ms per job. */
export async function measure(
  base: Omit<BenchRow, 'seconds' | 'extra'>,
  run: () => Promise<void>,
): Promise<BenchRow> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuMsPerJob = (cpu.user + cpu.system) / 1000 / base.jobs;
  return { ...base, seconds, extra: { 'cpu ms/job': cpuMsPerJob.toFixed(3) } };
}

/** Prints rows as a Markdown table (so it pastes into the README as is). */
export function printTable(rows: BenchRow[]): void {
  const extraKeys = [...new Set(rows.flatMap((r) => Object.keys(r.extra ?? {})))];
  const header = ['suite', 'workload', 'variant', 'jobs', 'jobs/s', ...extraKeys, 'target'];
  const lines = rows.map((r) => [
    r.suite,
    r.workload,
    r.variant,
    String(r.jobs),
    Math.round(r.jobs / r.seconds).toLocaleString('en-US'),
    ...extraKeys.map((k) => r.extra?.[k] ?? ''),
    r.target ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(fmt(header));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const line of lines) console.log(fmt(line));
}

/** Percentile of sorted numbers. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

/** The median of numbers in any order (of an even count, the lower middle one). */
export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** Runs `count` tasks with at most `concurrency` in flight. */
export async function inParallel(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await task(next++);
  });
  await Promise.all(lanes);
}
