import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ClassicLevel } from 'classic-level';
import { createJob } from '@gopherqueue/core';
import { percentile, type BenchRow } from './table.js';

/** Synced writes of each size measured; the first tenth of them warms the disk up, unmeasured. */
const WRITES = 400;

/**
 * The machine's floor for durable submits: synced LevelDB writes of the entries a waiting job
 * takes (its record and four index keys, as the embedded store writes them), one job a write and
 * 32 jobs a write, in a fresh directory, with nothing else running. fsync latency differs several
 * times between days on a shared machine; these rows say which day a table was measured on.
 */
export async function diskBench(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'gq-bench-disk-'));
  const db = new ClassicLevel<string, string>(dir, { writeBufferSize: 32 * 1024 * 1024 });
  const record = JSON.stringify({ ...createJob('noop', null), seq: 1, state: 'scheduled' });
  const rows: BenchRow[] = [];
  try {
    await db.open();
    let n = 0;
    for (const jobs of [1, 32]) {
      const ms: number[] = [];
      let seconds = 0;
      for (let w = 0; w < WRITES + WRITES / 10; w++) {
        const batch = db.batch();
        for (let j = 0; j < jobs; j++) {
          const id = `01a2${String(n++).padStart(28, '0')}`;
          batch
            .put(`job!${id}`, record)
            .put(`st!scheduled!${id}`, '')
            .put(
              `rdy!default!noop!2!${String(n).padStart(15, '0')}!${String(n).padStart(15, '0')}`,
              id,
            )
            .put(`ty!noop!${id}`, '')
            .put(`qu!default!${id}`, '');
        }
        const t0 = performance.now();
        await batch.write({ sync: true });
        const took = performance.now() - t0;
        if (w < WRITES / 10) continue;
        ms.push(took);
        seconds += took / 1000;
      }
      ms.sort((a, b) => a - b);
      rows.push({
        suite: 'disk',
        workload: `synced LevelDB write of ${jobs === 1 ? "one job's 5 entries" : `${jobs} jobs' ${jobs * 5} entries`} (the floor)`,
        variant: 'disk, durable',
        jobs: WRITES * jobs,
        seconds,
        extra: { 'p50 ms': percentile(ms, 50).toFixed(2), 'p99 ms': percentile(ms, 99).toFixed(2) },
      });
    }
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
