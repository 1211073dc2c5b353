import { GopherQueueClient, type WireJob } from '@gopherqueue/api';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, killAll, spawnServer, stopProcess, tempDir } from './helpers/gq-process.js';

const dirs: { remove(): Promise<void> }[] = [];

afterAll(async () => {
  await killAll();
  for (const dir of dirs) await dir.remove();
});

async function allJobs(client: GopherQueueClient): Promise<WireJob[]> {
  const jobs: WireJob[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.list({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    jobs.push(...page.jobs);
    cursor = page.next_cursor;
  } while (cursor !== undefined);
  return jobs;
}

describe('gq serve killed with SIGKILL', () => {
  it('completes every one of 1,000 sleep jobs after a restart on the same data directory', async () => {
    const dir = await tempDir('gq-crash-');
    dirs.push(dir);
    const first = await spawnServer(dir.path, ['--workers', '10']);
    let client = new GopherQueueClient({ baseUrl: first.url });
    for (let batch = 0; batch < 2; batch++) {
      const answer = await client.submitBatch(
        Array.from({ length: 500 }, () => ({ type: 'sleep', payload: '30ms' })),
        { atomic: true },
      );
      expect(answer.accepted).toBe(500);
    }
    await eventually(async () => {
      const { queue } = await client.stats();
      return queue.completed >= 100 && queue.running > 0 ? true : undefined;
    }, 'jobs to be running');
    expect(await stopProcess(first, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const second = await spawnServer(dir.path, ['--workers', '10']);
    client = new GopherQueueClient({ baseUrl: second.url });
    const stats = await eventually(
      async () => {
        const s = await client.stats();
        return s.queue.completed === 1000 ? s : undefined;
      },
      '1,000 completed jobs',
      120_000,
      250,
    );
    expect(stats.queue).toMatchObject({
      pending: 0,
      scheduled: 0,
      running: 0,
      delayed: 0,
      retrying: 0,
      failed: 0,
      dead_letter: 0,
      cancelled: 0,
      total_jobs: 1000,
    });
    const jobs = await allJobs(client);
    expect(jobs).toHaveLength(1000);
    expect(jobs.every((j) => j.state === 'completed')).toBe(true);
    // The jobs the crash left running were taken back and run again.
    const recovered = jobs.filter((j) => j.errors.some((e) => e.class === 'lease_expired'));
    expect(recovered.length).toBeGreaterThanOrEqual(1);
    for (const job of recovered) expect(job.attempt).toBe(2);
    expect(await stopProcess(second)).toEqual({ code: 0, signal: null });
  }, 180_000);
});
