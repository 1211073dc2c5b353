import { GopherQueueClient, type WireJob } from '@gopherqueue/api';
import { parsePrometheus } from '@gopherqueue/observability/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, killAll, spawnServer, tempDir, type GqProcess } from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

let server: GqProcess;
let client: GopherQueueClient;
let dir: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  dir = await tempDir('gq-admission-');
  server = await spawnServer(dir.path, ['--workers', '4']);
  client = new GopherQueueClient({ baseUrl: server.url });
});

afterAll(async () => {
  await killAll();
  await dir?.remove();
});

async function jobsOf(type: string): Promise<WireJob[]> {
  return (await client.list({ type, limit: 1000 })).jobs;
}

describe('a job before it runs, on gq serve over HTTP', () => {
  it('debounce: 100 submits in a burst, then quiet, run once with the last payload', async () => {
    const debounce = { key: 'burst', wait: '5s', maxWait: '1m' };
    const ids = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const job = await client.submit('echo', { n: i }, { queue: 'burst', debounce });
      ids.add(job.id);
    }
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    const done = await client.wait(id as string, '60s');
    expect(done).toMatchObject({ state: 'completed', result: { output: { n: 99 } } });
    const jobs = await jobsOf('echo');
    expect(jobs.filter((job) => job.queue === 'burst')).toHaveLength(1);
    expect(await client.get(id as string)).toMatchObject({ attempt: 1, payload: { n: 99 } });
  });

  it("unique until 'started': the waiting job is returned; once it started, a new one is made", async () => {
    await client.pauseQueue('gate');
    const unique = { key: 'nightly', until: 'started' };
    const first = await client.submit('echo', 1, { queue: 'gate', unique });
    const again = await client.submit('echo', 2, { queue: 'gate', unique });
    expect(again).toMatchObject({ id: first.id, deduplicated: true, deduplicated_by: 'unique' });
    await client.resumeQueue('gate');
    await client.wait(first.id, '30s');
    const after = await client.submit('echo', 3, { queue: 'gate', unique });
    expect(after.id).not.toBe(first.id);
    expect(after.deduplicated).toBeUndefined();
  });

  it('expiry: a job behind a paused queue never runs, ends cancelled as expired, and is counted', async () => {
    await client.pauseQueue('held');
    const job = await client.submit('echo', 'late', { queue: 'held', ttl: '1s' });
    const ended = await eventually(async () => {
      const now = await client.get(job.id);
      return now.state === 'cancelled' ? now : undefined;
    }, 'the job to expire');
    expect(ended).toMatchObject({ cancel_reason: 'expired', attempt: 0 });
    expect(ended.started_at).toBeUndefined();
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(parsePrometheus(text).get('gq_jobs_expired_total{queue="held",type="echo"}')).toBe(1);
    await client.resumeQueue('held');
    expect((await client.get(job.id)).state).toBe('cancelled');
  });

  it('gq submit takes the flags and reports a deduplicated submit', async () => {
    const flags = ['--server', server.url, '--type', 'echo', '--queue', 'cli', '--delay', '1h'];
    const first = await gq(['submit', ...flags, '--unique-key', 'k1', '--ttl', '2h']);
    expect(first.code).toBe(0);
    const id = first.stdout.trim();
    const second = await gq(['submit', ...flags, '--unique-key', 'k1', '--unique-until', '10m']);
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout).toBe(`${id} (deduplicated by its unique key: existing job, delayed)\n`);
    const debounced = await gq([
      'submit',
      '--server',
      server.url,
      '--type',
      'echo',
      '--debounce-key',
      'd1',
      '--debounce-wait',
      '1h',
      '--debounce-max-wait',
      '2h',
      '--expires-at',
      new Date(Date.now() + 3 * 3_600_000).toISOString(),
      '--json',
    ]);
    expect(debounced.code).toBe(0);
    expect(JSON.parse(debounced.stdout)).toMatchObject({
      state: 'delayed',
      debounce: { key: 'd1', wait_ms: 3_600_000, max_wait_ms: 7_200_000 },
    });
  });

  it.each([
    [['--unique-until', 'started'], '--unique-until needs --unique-key'],
    [['--unique-key', 'k', '--unique-until', 'never'], '--unique-until'],
    [['--debounce-key', 'k'], '--debounce-key needs --debounce-wait'],
    [['--debounce-key', 'k', '--debounce-wait', '5s', '--debounce-max-wait', '1s'], 'at least'],
    [['--ttl', '0s'], '--ttl'],
    [['--expires-at', 'tomorrow'], '--expires-at must be an RFC 3339 time'],
  ])('gq submit %j fails with a usage error', async (flags, message) => {
    const run = await gq(['submit', '--server', server.url, '--type', 'echo', ...flags]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('gq submit shows the server refusing a value the flags pass on (an expiry in the past)', async () => {
    const run = await gq([
      'submit',
      '--server',
      server.url,
      '--type',
      'echo',
      '--expires-at',
      '2001-01-01T00:00:00Z',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('expires_at');
  });
});
