import { GopherQueueClient, type WireJob } from '@gopherqueue/api';
import { parsePrometheus } from '@gopherqueue/observability/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  eventually,
  FIXTURE_HANDLERS,
  killAll,
  spawnServer,
  spawnWorker,
  stopProcess,
  tempDir,
} from './helpers/gq-process.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killAll();
  for (const cleanup of cleanups) await cleanup();
});

function until(client: GopherQueueClient, id: string, state: string): Promise<WireJob> {
  return eventually(async () => {
    const job = await client.get(id);
    return job.state === state ? job : undefined;
  }, `job ${id} to be ${state}`);
}

async function snoozedTotal(url: string): Promise<number | undefined> {
  const values = parsePrometheus(await (await fetch(`${url}/metrics`)).text());
  return values.get('gq_jobs_snoozed_total{queue="default",type="remote.snoozy"}');
}

describe('a handler that snoozes, in real processes', () => {
  it('runs again after its snooze with the same attempt, in gq serve and in a gq work', async () => {
    const dir = await tempDir('gq-snooze-');
    cleanups.push(() => dir.remove());
    const server = await spawnServer(dir.path, ['--handlers', FIXTURE_HANDLERS]);
    const client = new GopherQueueClient({ baseUrl: server.url });

    // gq serve runs it itself.
    const local = await client.submit('remote.snoozy', { delay: '300ms' }, { maxAttempts: 1 });
    const done = await until(client, local.id, 'completed');
    expect([done.attempt, done.errors]).toEqual([1, []]);
    const result = done.result as { attempt: number; runAt: number; pid: number };
    expect([result.attempt, result.pid]).toEqual([1, server.pid]);
    expect(result.runAt).toBeGreaterThanOrEqual(Date.parse(local.created_at) + 300);
    expect(
      await eventually(
        async () => ((await snoozedTotal(server.url)) === 1 ? 1 : undefined),
        'the metric',
      ),
    ).toBe(1);
    expect(await stopProcess(server)).toEqual({ code: 0, signal: null });

    // A server without handlers leaves it to a gq work, which snoozes through the lease API.
    const other = await tempDir('gq-snooze-remote-');
    cleanups.push(() => other.remove());
    const bare = await spawnServer(other.path);
    const remote = new GopherQueueClient({ baseUrl: bare.url });
    const worker = await spawnWorker(bare.url, ['--types', 'remote.snoozy']);
    const job = await remote.submit('remote.snoozy', { delay: '300ms' }, { maxAttempts: 1 });
    const ran = await until(remote, job.id, 'completed');
    expect([ran.attempt, ran.errors]).toEqual([1, []]);
    const remoteResult = ran.result as { attempt: number; runAt: number; pid: number };
    expect([remoteResult.attempt, remoteResult.pid]).toEqual([1, worker.pid]);
    expect(remoteResult.runAt).toBeGreaterThanOrEqual(Date.parse(job.created_at) + 300);
    expect(
      await eventually(
        async () => ((await snoozedTotal(bare.url)) === 1 ? 1 : undefined),
        'the metric',
      ),
    ).toBe(1);
    expect(await stopProcess(worker)).toEqual({ code: 0, signal: null });
  }, 120_000);
});
