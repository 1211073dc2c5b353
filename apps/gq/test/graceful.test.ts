import { GopherQueueClient } from '@gopherqueue/api';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, killAll, spawnServer, stopProcess, tempDir } from './helpers/gq-process.js';

const dirs: { remove(): Promise<void> }[] = [];

afterAll(async () => {
  await killAll();
  for (const dir of dirs) await dir.remove();
});

describe('gq serve stopped with SIGTERM', () => {
  it('exits within the shutdown timeout, and after a restart every job completes', async () => {
    const dir = await tempDir('gq-graceful-');
    dirs.push(dir);
    const shutdownTimeoutMs = 4_000;
    const first = await spawnServer(dir.path, ['--workers', '4', '--shutdown-timeout', '4s']);
    let client = new GopherQueueClient({ baseUrl: first.url });
    // Two jobs outlast the drain and are released; two finish during it; two never start.
    const long = await client.submitBatch([
      { type: 'sleep', payload: '6s', priority: 0 },
      { type: 'sleep', payload: '6s', priority: 0 },
    ]);
    const short = await client.submitBatch([
      { type: 'sleep', payload: '600ms', priority: 1 },
      { type: 'sleep', payload: '600ms', priority: 1 },
    ]);
    const queued = await client.submitBatch([
      { type: 'echo', payload: 1, priority: 4 },
      { type: 'echo', payload: 2, priority: 4 },
    ]);
    const ids = [...long.results, ...short.results, ...queued.results].map(
      (r) => r.job?.id as string,
    );
    await eventually(
      async () => ((await client.stats()).queue.running === 4 ? true : undefined),
      'four running jobs',
    );
    const signalledAt = performance.now();
    const end = await stopProcess(first, 'SIGTERM');
    const exitMs = performance.now() - signalledAt;
    expect(end).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(shutdownTimeoutMs);

    const second = await spawnServer(dir.path, ['--workers', '4']);
    client = new GopherQueueClient({ baseUrl: second.url });
    const jobs = await eventually(
      async () => {
        const all = await Promise.all(ids.map((id) => client.get(id)));
        return all.every((j) => j.state === 'completed') ? all : undefined;
      },
      'every job to complete',
      30_000,
      200,
    );
    for (const job of jobs) {
      // A drained or released job never spent an attempt on the shutdown.
      expect(job.errors).toEqual([]);
      expect(job.attempt).toBe(1);
    }
    expect(await stopProcess(second)).toEqual({ code: 0, signal: null });
  }, 90_000);
});
