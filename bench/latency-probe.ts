import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJob, type JobSpec } from '@gopherqueue/core';
import { measure, percentile, type BenchRow } from './table.js';

/** Resolves once `done()` is true, checking every 2 ms. */
export async function until(done: () => boolean): Promise<void> {
  while (!done()) await sleep(2);
}

/**
 * Measures the time from the submit call to the handler's start at a steady rate, in one
 * process: the handler calls {@link LatencyProbe.started} with its job id.
 */
export class LatencyProbe {
  readonly #submittedAt = new Map<string, number>();
  readonly #waits: number[] = [];

  /** Pass to the handler: records the wait of a job this probe submitted. */
  readonly started = (id: string): void => {
    const at = this.#submittedAt.get(id);
    if (at !== undefined) this.#waits.push(performance.now() - at);
  };

  /** Submits `rate` no-op jobs a second for `seconds`, waits until all ran, and returns the row. */
  async run(
    base: Pick<BenchRow, 'suite' | 'variant'>,
    target: string,
    enqueue: (spec: JobSpec) => Promise<unknown>,
    completed: () => number,
    rate = 1000,
    seconds = 10,
  ): Promise<BenchRow> {
    const total = rate * seconds;
    const row = await measure(
      { ...base, jobs: total, workload: `submit-to-start at ${rate}/s for ${seconds} s`, target },
      async () => {
        const t0 = performance.now();
        const pending: Promise<unknown>[] = [];
        for (let i = 0; i < total; i++) {
          const ahead = t0 + (i * 1000) / rate - performance.now();
          if (ahead > 1) await sleep(ahead);
          const spec = createJob('noop', null);
          this.#submittedAt.set(spec.id, performance.now());
          pending.push(enqueue(spec));
        }
        await Promise.all(pending);
        await until(() => completed() >= total);
      },
    );
    const waits = [...this.#waits].sort((a, b) => a - b);
    row.extra = {
      ...row.extra,
      'p50 ms': percentile(waits, 50).toFixed(2),
      'p99 ms': percentile(waits, 99).toFixed(2),
    };
    return row;
  }
}
