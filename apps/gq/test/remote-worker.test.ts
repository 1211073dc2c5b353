import { GopherQueueClient, type WireJob } from '@gopherqueue/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  spawnServer,
  spawnWorker,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let client: GopherQueueClient;

async function jobsOf(type: string): Promise<WireJob[]> {
  const jobs: WireJob[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.list({
      type,
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    jobs.push(...page.jobs);
    cursor = page.next_cursor;
  } while (cursor !== undefined);
  return jobs;
}

beforeAll(async () => {
  dir = await tempDir('gq-remote-');
  // The server has no handler for remote.* types; by default it leaves them to remote workers.
  server = await spawnServer(dir.path, ['--workers', '2']);
  client = new GopherQueueClient({ baseUrl: server.url });
});

afterAll(async () => {
  await killAll();
  await dir?.remove();
});

describe('gq work', () => {
  it('runs 500 jobs of a type the server has no handler for, claiming up to 64 ahead', async () => {
    const worker = await spawnWorker(server.url, [
      '--concurrency',
      '20',
      '--claim-ahead',
      '64',
      '--types',
      'remote.double',
    ]);
    const batch = await client.submitBatch(
      Array.from({ length: 500 }, (_, n) => ({ type: 'remote.double', payload: { n } })),
      { atomic: true },
    );
    expect(batch.accepted).toBe(500);
    await eventually(
      async () => ((await client.stats()).queue.completed >= 500 ? true : undefined),
      '500 completed jobs',
      60_000,
      250,
    );
    const jobs = await jobsOf('remote.double');
    expect(jobs).toHaveLength(500);
    for (const job of jobs) {
      expect(job.state).toBe('completed');
      const n = (job.payload as { n: number }).n;
      expect(job.result).toEqual({ doubled: n * 2, pid: worker.pid });
      expect(job.attempt).toBe(1);
    }
    expect(await stopProcess(worker)).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('runs the jobs of a worker killed with SIGKILL again elsewhere within the lease plus 5 s', async () => {
    // A heartbeat every third of the lease is never late on a loaded machine with 5 s.
    const leaseMs = 5_000;
    const slowWorker = ['--concurrency', '4', '--lease', '5s', '--types', 'remote.slow'];
    const first = await spawnWorker(server.url, slowWorker);
    const batch = await client.submitBatch(
      Array.from({ length: 4 }, () => ({
        type: 'remote.slow',
        payload: { ms: 120_000, retryMs: 200 },
      })),
    );
    const ids = batch.results.map((r) => r.job?.id as string);
    // Mid-job: every job is running on the first worker and has saved its checkpoint.
    await eventually(async () => {
      const jobs = await Promise.all(ids.map((id) => client.get(id)));
      const mid = jobs.every(
        (j) =>
          j.state === 'running' &&
          (j.checkpoint as { started_by?: number } | undefined)?.started_by === first.pid,
      );
      return mid ? true : undefined;
    }, 'the first worker to be mid-job');
    const second = await spawnWorker(server.url, slowWorker);
    expect(await stopProcess(first, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = Date.now();

    const done = await eventually(
      async () => {
        const jobs = await Promise.all(ids.map((id) => client.get(id)));
        return jobs.every((j) => j.state === 'completed') ? jobs : undefined;
      },
      'the jobs to complete on the second worker',
      30_000,
      200,
    );
    for (const job of done) {
      expect(job.result).toEqual({ pid: second.pid, attempt: 2 });
      expect(job.errors.map((e) => e.class)).toEqual(['lease_expired']);
      // The second attempt saw the first one's checkpoint.
      expect(job.checkpoint).toEqual({
        started_by: second.pid,
        previous: { started_by: first.pid, previous: null },
      });
      const restartedAfterMs = Date.parse(job.started_at as string) - killedAt;
      expect(restartedAfterMs).toBeLessThanOrEqual(leaseMs + 5_000);
    }
    expect(await stopProcess(second)).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('releases, on SIGTERM, a job still running when the shutdown timeout ends', async () => {
    const shutdownTimeoutMs = 1_000;
    const first = await spawnWorker(server.url, [
      '--types',
      'remote.resumable',
      '--shutdown-timeout',
      '1s',
    ]);
    const job = await client.submit('remote.resumable', { ms: 120_000 }, { maxAttempts: 1 });
    await eventually(async () => {
      const seen = await client.get(job.id);
      const started = (seen.checkpoint as { started_by?: number } | undefined)?.started_by;
      return seen.state === 'running' && started === first.pid ? true : undefined;
    }, 'the first worker to be mid-job');
    const stoppedAt = Date.now();
    expect(await stopProcess(first, 'SIGTERM')).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(shutdownTimeoutMs + 10_000);

    const released = await client.get(job.id);
    expect(released).toMatchObject({
      state: 'scheduled',
      attempt: 0,
      errors: [],
      checkpoint: { started_by: first.pid },
    });
    expect(released.last_error).toBeUndefined();

    const second = await spawnWorker(server.url, ['--types', 'remote.resumable']);
    const done = await eventually(async () => {
      const seen = await client.get(job.id);
      return seen.state === 'completed' ? seen : undefined;
    }, 'the second worker to complete the job');
    expect(done.result).toEqual({
      pid: second.pid,
      attempt: 1,
      resumed: { started_by: first.pid },
    });
    expect(done.attempt).toBe(1);
    expect(done.errors).toEqual([]);
    expect(await stopProcess(second)).toEqual({ code: 0, signal: null });
  }, 120_000);
});
