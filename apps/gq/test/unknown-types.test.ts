import { hostname } from 'node:os';
import { GopherQueueClient, type WireJob } from '@gopherqueue/api';
import { parsePrometheus } from '@gopherqueue/observability/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  spawnServer,
  spawnWorker,
  stopProcess,
  tempDir,
} from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killAll();
  for (const cleanup of cleanups) await cleanup();
});

async function server(flags: string[] = []) {
  const dir = await tempDir('gq-unknown-');
  cleanups.push(() => dir.remove());
  const proc = await spawnServer(dir.path, ['--workers', '2', ...flags]);
  return { proc, client: new GopherQueueClient({ baseUrl: proc.url }) };
}

async function waiting(url: string): Promise<Map<string, number>> {
  const values = parsePrometheus(await (await fetch(`${url}/metrics`)).text());
  const out = new Map<string, number>();
  for (const [key, value] of values) {
    const type = /^gq_jobs_waiting_no_handler\{type="(.*)"\}$/.exec(key)?.[1];
    if (type !== undefined) out.set(type, value);
  }
  return out;
}

function until(client: GopherQueueClient, id: string, state: string): Promise<WireJob> {
  return eventually(async () => {
    const job = await client.get(id);
    return job.state === state ? job : undefined;
  }, `job ${id} to be ${state}`);
}

describe('gq serve with default flags and a gq work', () => {
  it('leaves types it has no handler for to the remote worker, and shows the jobs no one takes waiting', async () => {
    const { proc, client } = await server();
    // Before any worker: the job waits, with its reason, and the gauge counts it.
    const early = await client.submit('remote.double', { n: 20 });
    expect(early).toMatchObject({ state: 'scheduled', waiting_reason: 'no_handler' });
    expect(await waiting(proc.url)).toEqual(new Map([['remote.double', 1]]));

    const worker = await spawnWorker(proc.url, [
      '--types',
      'remote.double,remote.slow',
      '--concurrency',
      '3',
      // A heartbeat every second: the cancel at the end reaches the handler soon.
      '--lease',
      '3s',
    ]);
    const ran = await until(client, early.id, 'completed');
    expect(ran.result).toEqual({ doubled: 40, pid: worker.pid });
    expect(ran.attempt).toBe(1);

    const orphan = await client.submit('nobody.handles', { n: 1 });
    const next = await client.submit('remote.double', { n: 3 });
    expect(next).not.toHaveProperty('waiting_reason');
    expect((await until(client, next.id, 'completed')).result).toEqual({
      doubled: 6,
      pid: worker.pid,
    });
    // The local pool and the remote worker both claimed after the orphan was submitted.
    const left = await client.get(orphan.id);
    expect(left).toMatchObject({ state: 'scheduled', attempt: 0, errors: [] });
    expect(left.waiting_reason).toBe('no_handler');
    const listed = await client.list({ type: 'nobody.handles' });
    expect(listed.jobs.map((job) => [job.id, job.waiting_reason])).toEqual([
      [orphan.id, 'no_handler'],
    ]);
    expect(await waiting(proc.url)).toEqual(new Map([['nobody.handles', 1]]));
    const shown = await gq(['job', orphan.id, '--server', proc.url]);
    expect(shown.stdout).toMatch(/^waiting: +no_handler$/m);

    // While the remote worker runs a job, the workers and the stats say so.
    const slow = await client.submit('remote.slow', { ms: 120_000 });
    await until(client, slow.id, 'running');
    // The claim's answer records the job in hand a moment after the store shows it running.
    const workers = await eventually(async () => {
      const seen = await client.workers();
      return seen[1]?.busy === 1 ? seen : undefined;
    }, 'the remote worker to hold the job');
    expect(workers.map((w) => [w.kind, w.id.startsWith('worker-')])).toEqual([
      ['local', true],
      ['remote', false],
    ]);
    expect(workers[1]).toMatchObject({
      kind: 'remote',
      host: hostname(),
      types: ['remote.double', 'remote.slow'],
      queues: null,
      concurrency: 3,
      busy: 1,
      jobs: [slow.id],
    });
    expect(workers[0]).toMatchObject({ types: ['echo', 'sleep', 'error'], concurrency: 2 });
    expect((await client.stats()).workers).toEqual({
      busy: 1,
      concurrency: 5,
      local: { busy: 0, concurrency: 2 },
      remote: { workers: 1, busy: 1, concurrency: 3 },
    });
    const stats = await gq(['status', '--stats', '--server', proc.url]);
    expect(stats.stdout).toMatch(/^workers: +1 busy of 5 \(local 0 of 2; 1 remote: 1 of 3\)$/m);
    const table = await gq(['workers', '--server', proc.url]);
    expect(table.code).toBe(0);
    const remoteLine = table.stdout.split('\n').find((line) => line.includes(' remote '));
    expect(remoteLine).toMatch(
      new RegExp(
        `^${workers[1]!.id} +remote +${hostname()} +remote\\.double,remote\\.slow +\\* +1/3 `,
      ),
    );

    // A key limited to another queue sees the worker (it claims from every queue) without the
    // job of the default queue.
    const { key } = await client.createKey({ name: 'other-q', role: 'viewer', queues: ['other'] });
    const limited = new GopherQueueClient({ baseUrl: proc.url, apiKey: key });
    const seen = await limited.workers();
    expect(seen.map((w) => [w.kind, w.busy, w.jobs])).toEqual([
      ['local', 0, []],
      ['remote', 0, []],
    ]);
    expect((await limited.stats()).workers.remote).toEqual({ workers: 1, busy: 0, concurrency: 3 });

    await client.cancel(slow.id);
    expect(await stopProcess(worker)).toEqual({ code: 0, signal: null });
    expect((await client.get(orphan.id)).state).toBe('scheduled');
  }, 90_000);

  it('fails a job of a type no local handler takes at once with --unknown-types fail', async () => {
    const { client } = await server(['--unknown-types', 'fail']);
    const job = await client.submit('nobody.handles', null, { maxAttempts: 3 });
    const failed = await until(client, job.id, 'failed');
    expect(failed.attempt).toBe(1);
    expect(failed.errors.map((e) => [e.class, e.message])).toEqual([
      ['unknown_type', 'no handler registered for job type "nobody.handles"'],
    ]);
    expect(failed).not.toHaveProperty('waiting_reason');
  }, 120_000);
});
