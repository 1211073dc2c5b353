import { GopherQueueClient, type SseEvent, type WireJob } from '@gopherqueue/api';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let client: GopherQueueClient;
const cli = (...args: string[]) => gq([...args, '--server', server.url]);

beforeAll(async () => {
  dir = await tempDir();
  server = await spawnServer(dir.path, ['--workers', '4']);
  client = new GopherQueueClient({ baseUrl: server.url });
});

afterAll(async () => {
  if (server !== undefined) {
    const end = await stopProcess(server, 'SIGTERM');
    expect(end.code).toBe(0);
  }
  await killAll();
  await dir?.remove();
});

describe('gq serve over real HTTP', () => {
  it('runs a job submitted with gq submit, and gq wait, gq job and gq status show it', async () => {
    const submitted = await cli(
      'submit',
      '--type',
      'echo',
      '--payload',
      '{"message":"hi"}',
      '--tag',
      'env=test',
    );
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);

    const waited = await cli('wait', id, '--json');
    expect(waited.code).toBe(0);
    const answer = JSON.parse(waited.stdout);
    expect(answer).toMatchObject({ id, state: 'completed', completed: true, success: true });
    expect(answer.result.output).toEqual({ message: 'hi' });

    // A job without a payload (the API leaves a null one out) shows `payload: null`.
    const bare = (await cli('submit', '--type', 'echo')).stdout.trim();
    const bareShown = await cli('job', bare);
    expect([bareShown.code, bareShown.stderr]).toEqual([0, '']);
    expect(bareShown.stdout).toMatch(/^payload:\s+null$/m);

    const shown = await cli('job', id);
    expect(shown.stdout).toContain('state:');
    expect(shown.stdout).toMatch(/state:\s+completed/);
    expect(shown.stdout).toMatch(/tags:\s+env=test/);
    expect(shown.stdout).toMatch(/result:\s+\{"message":"hi"\}/);
    // One line per state the job entered, oldest first, at the times the server recorded.
    const recorded = (JSON.parse((await cli('job', id, '--json')).stdout) as WireJob).transitions!;
    expect(recorded.map((t) => t.state)).toEqual(['scheduled', 'running', 'completed']);
    const lines = shown.stdout.split('\n').filter((line) => line.startsWith('transition:'));
    expect(lines.map((line) => line.replace(/^transition:\s+/, ''))).toEqual([
      `${recorded[0]!.at} scheduled`,
      `${recorded[1]!.at} running, attempt 1`,
      `${recorded[2]!.at} completed`,
    ]);

    const listed = await cli('status', '--type', 'echo', '--state', 'completed', '--json');
    const page = JSON.parse(listed.stdout) as { jobs: WireJob[] };
    expect(page.jobs.map((j) => j.id)).toContain(id);
    const table = await cli('status', '--type', 'echo');
    expect(table.stdout.split('\n')[0]).toMatch(
      /^ID\s+TYPE\s+QUEUE\s+STATE\s+PRIORITY\s+ATTEMPT\s+CREATED$/,
    );
    expect(table.stdout).toContain(`${id}  echo  default  completed`);
  });

  it('lists the dependents of a job with gq status --depends-on', async () => {
    const parent = (await cli('submit', '--type', 'echo', '--payload', '"p"')).stdout.trim();
    const child = (
      await cli('submit', '--type', 'echo', '--payload', '"c"', '--depends-on', parent)
    ).stdout.trim();
    await cli('submit', '--type', 'echo', '--payload', '"unrelated"');
    const listed = await cli('status', '--depends-on', parent, '--json');
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { jobs: WireJob[] }).jobs.map((j) => j.id)).toEqual([
      child,
    ]);
    const bad = await cli('status', '--depends-on', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('gq: depends_on: must be a UUID (validation_error, HTTP 400)\n');
  });

  it('runs a job submitted with fetch, in the original wire format', async () => {
    const res = await fetch(`${server.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'echo', payload: { n: 7 }, priority: 1 }),
    });
    expect(res.status).toBe(201);
    const job = (await res.json()) as WireJob;
    expect(job).toMatchObject({ type: 'echo', priority: 1, max_attempts: 3 });
    const wait = await fetch(`${server.url}/api/v1/jobs/${job.id}/wait?timeout=10s`);
    expect(await wait.json()).toMatchObject({ id: job.id, state: 'completed', success: true });
    const result = await fetch(`${server.url}/api/v1/jobs/${job.id}/result`);
    expect(await result.json()).toMatchObject({ job_id: job.id, success: true, output: { n: 7 } });
  });

  it('submits with --wait and prints the result; stats count what ran', async () => {
    const run = await cli('submit', '--type', 'echo', '--payload', '[1,2]', '--wait');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/state:\s+completed/);
    expect(run.stdout).toMatch(/result:\s+\[1,2\]/);
    const stats = await cli('status', '--stats', '--json');
    const parsed = JSON.parse(stats.stdout);
    expect(parsed.queue.completed).toBeGreaterThanOrEqual(3);
    expect(parsed.queue.running).toBe(0);
    expect(parsed.workers).toEqual({
      busy: 0,
      concurrency: 4,
      local: { busy: 0, concurrency: 4 },
      remote: { workers: 0, busy: 0, concurrency: 0 },
    });
    const human = await cli('status', '--stats');
    expect(human.stdout).toMatch(/workers:\s+0 busy of 4 \(local 0 of 4; 0 remote: 0 of 0\)\n/);
  });

  it('cancels a running sleep job and frees its worker', async () => {
    const id = (await cli('submit', '--type', 'sleep', '--payload', '"60s"')).stdout.trim();
    await eventually(
      async () => ((await client.get(id)).state === 'running' ? true : undefined),
      'running',
    );
    const cancelled = await cli('cancel', id, '--reason', 'test');
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toBe(`${id} cancelled\n`);
    const job = await client.get(id);
    expect(job.state).toBe('cancelled');
    expect(job.cancel_reason).toBe('test');
    await eventually(
      async () => ((await client.stats()).workers?.busy === 0 ? true : undefined),
      'the handler to stop',
    );
    const again = await cli('cancel', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/\(conflict, HTTP 409\)\n$/);
  });

  it('retries a dead-lettered error job, and the dead letter commands see it', async () => {
    const run = await cli(
      'submit',
      '--type',
      'error',
      '--payload',
      '"boom"',
      '--max-attempts',
      '1',
      '--wait',
      '--json',
    );
    expect(run.code).toBe(1);
    const job = JSON.parse(run.stdout) as WireJob;
    expect(job.state).toBe('dead_letter');
    expect(job.last_error).toBe('boom');
    expect(run.stderr).toBe(`gq: job ${job.id} ended dead_letter\n`);

    const dlq = await cli('dlq', '--json');
    expect((JSON.parse(dlq.stdout) as { jobs: WireJob[] }).jobs.map((j) => j.id)).toContain(job.id);

    const retried = await cli('retry', job.id);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toMatch(new RegExp(`^${job.id} (scheduled|running|dead_letter)\\n$`));
    const waited = await cli('wait', job.id);
    expect(waited.code).toBe(1);
    const after = await client.get(job.id);
    expect(after.state).toBe('dead_letter');
    expect(after.errors.map((e) => e.message)).toEqual(['boom', 'boom']);

    const requeued = await cli('dlq', 'requeue', job.id);
    expect(requeued.code).toBe(0);
    await cli('wait', job.id);
    expect((await client.get(job.id)).errors).toHaveLength(3);
    const purged = await cli('dlq', 'purge');
    expect(purged.stdout).toMatch(/^purged [1-9]\d* jobs\n$/);
    const gone = await cli('job', job.id);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/\(not_found, HTTP 404\)/);
  });

  it('streams job.completed over SSE, to the client and to gq events', async () => {
    const controller = new AbortController();
    const events: SseEvent[] = [];
    let onConnected = (): void => undefined;
    const connected = new Promise<void>((resolve) => (onConnected = resolve));
    const reading = (async () => {
      for await (const event of client.events({ signal: controller.signal })) {
        events.push(event);
        if (event.event === 'connected') onConnected();
        if (event.event === 'job.completed') return;
      }
    })().catch(() => undefined);
    await connected;
    const id = (await cli('submit', '--type', 'echo', '--payload', '1')).stdout.trim();
    await reading;
    controller.abort();
    const names = events.filter((e) => e.id === id).map((e) => e.event);
    expect(names).toContain('job.created');
    expect(names.at(-1)).toBe('job.completed');
    expect((events.at(-1)?.data as WireJob).state).toBe('completed');

    const id2 = (await cli('submit', '--type', 'sleep', '--payload', '"300ms"')).stdout.trim();
    const streamed = await gq(['events', '--json', '--job-id', id2, '--server', server.url], {
      onStdout: (text, stop) => {
        if (text.includes('"job.completed"')) stop();
      },
    });
    expect(streamed.code).toBe(0);
    const lines = streamed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; id?: string });
    expect(lines.at(-1)).toMatchObject({ event: 'job.completed', id: id2 });
  });

  it('serves /metrics as Prometheus text whose counters match what ran', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await cli('submit', '--type', 'echo', '--queue', 'metrics', '--wait')).code).toBe(0);
    }
    const failed = await cli(
      'submit',
      '--type',
      'error',
      '--queue',
      'metrics',
      '--max-attempts',
      '1',
      '--wait',
    );
    expect(failed.code).toBe(1);
    // The counters follow the job events, which may reach the metrics a moment after a wait
    // answered from the store: wait until the last job's end is counted, then compare them all.
    const samples = await eventually(async () => {
      const res = await fetch(`${server.url}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const parsed = parsePrometheus(await res.text());
      return parsed.get('gq_jobs_dead_letter_total{type="error",queue="metrics"}') === 1
        ? parsed
        : undefined;
    }, 'the dead-lettered job in /metrics');
    expect(samples.get('gq_jobs_enqueued_total{type="echo",queue="metrics"}')).toBe(3);
    expect(samples.get('gq_jobs_completed_total{type="echo",queue="metrics"}')).toBe(3);
    expect(samples.get('gq_jobs_dead_letter_total{type="error",queue="metrics"}')).toBe(1);
    expect(samples.get('gq_jobs_enqueued_total{type="error",queue="metrics"}')).toBe(1);
  });

  it('submits with every flag: file and stdin payloads, dependencies, delays, dedupe and tags', async () => {
    const dir = await tempDir('gq-payload-');
    try {
      await writeFile(join(dir.path, 'payload.json'), '{"from":"file"}');
      const fromFile = await gq(
        [
          'submit',
          '--type',
          'echo',
          '--payload',
          '@payload.json',
          '--wait',
          '--json',
          '--server',
          server.url,
        ],
        { cwd: dir.path },
      );
      expect((JSON.parse(fromFile.stdout) as WireJob).result).toEqual({ from: 'file' });
    } finally {
      await dir.remove();
    }
    const fromStdin = await gq(
      ['submit', '--type', 'echo', '--payload', '-', '--wait', '--json', '--server', server.url],
      { stdin: '{"from":"stdin"}' },
    );
    expect((JSON.parse(fromStdin.stdout) as WireJob).result).toEqual({ from: 'stdin' });

    // The parent waits in a paused queue until the child is checked: a parent that may finish
    // first (a short sleep, on a loaded machine where a CLI process takes a while to start)
    // would leave the child scheduled, not pending.
    await client.pauseQueue('deps-parent');
    const parent = (
      await cli('submit', '--type', 'sleep', '--payload', '"200ms"', '--queue', 'deps-parent')
    ).stdout.trim();
    const child = await cli(
      'submit',
      '--type',
      'echo',
      '--payload',
      '"child"',
      '--depends-on',
      parent,
      '--priority',
      'critical',
      '--queue',
      'deps',
      '--max-attempts',
      '5',
      '--timeout',
      '10s',
      '--tag',
      'a=1',
      '--tag',
      'b=2',
      '--json',
    );
    const childJob = JSON.parse(child.stdout) as WireJob;
    expect(childJob).toMatchObject({
      state: 'pending',
      priority: 0,
      queue: 'deps',
      max_attempts: 5,
      timeout_ms: 10_000,
      depends_on: [parent],
      tags: { a: '1', b: '2' },
    });
    await client.resumeQueue('deps-parent');
    expect((await cli('wait', childJob.id)).code).toBe(0);
    expect(Date.parse((await client.get(childJob.id)).started_at as string)).toBeGreaterThanOrEqual(
      Date.parse((await client.get(parent)).completed_at as string),
    );

    const delayed = JSON.parse(
      (await cli('submit', '--type', 'echo', '--delay', '1h', '--json')).stdout,
    ) as WireJob;
    expect(delayed.state).toBe('delayed');
    expect(
      Date.parse(delayed.scheduled_at as string) - Date.parse(delayed.created_at),
    ).toBeGreaterThanOrEqual(3_600_000 - 1000);
    const deleted = await cli('delete', delayed.id);
    expect(deleted).toMatchObject({ code: 0, stdout: `${delayed.id} deleted\n` });
    expect((await cli('job', delayed.id)).code).toBe(1);

    // Delayed, so the state the second submit reports cannot move before it is compared.
    const dedupe = ['submit', '--type', 'echo', '--idempotency-key', 'k-1', '--delay', '1h'];
    const once = await cli(...dedupe);
    const twice = await cli(...dedupe);
    expect(twice.stdout).toBe(`${once.stdout.trim()} (deduplicated: existing job, delayed)\n`);
  });

  it('lists, pauses and resumes queues', async () => {
    expect((await cli('queues', 'pause', 'paused-q')).stdout).toBe('paused-q paused\n');
    const id = (await cli('submit', '--type', 'echo', '--queue', 'paused-q')).stdout.trim();
    const listed = await cli('queues');
    expect(listed.stdout.split('\n')[0]).toMatch(/^QUEUE\s+STATUS\s+SCHEDULED\s+RUNNING/);
    expect(listed.stdout).toMatch(/paused-q\s+paused\s+1\s/);
    const waited = await cli('wait', id, '--timeout', '300ms');
    expect(waited.code).toBe(1);
    expect(waited.stderr).toBe(`gq: job ${id} did not finish in time (scheduled)\n`);
    expect((await cli('queues', 'resume', 'paused-q')).stdout).toBe('paused-q resumed\n');
    expect((await cli('wait', id)).code).toBe(0);
  });

  it('sets and shows queue limits, refuses bad ones naming the flag, and runs the jobs', async () => {
    const set = await cli('queues', 'set', 'limited', '--concurrency', '1', '--rate', '100/1s');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^queue\s+limited$/m);
    expect(set.stdout).toMatch(/^concurrency\s+1$/m);
    expect(set.stdout).toMatch(/^rate\s+100\/1s$/m);
    const bad: [string[], RegExp][] = [
      [['--rate', '0/1s'], /^gq: --rate must be N\/DURATION .*invalid rate "0\/1s"/],
      [['--concurrency', '-1'], /^gq: --concurrency must be an integer from 1 to 100000/],
      [['--concurrency', 'lots'], /^gq: --concurrency must be an integer/],
      [[], /^gq: give --concurrency N\|none or --rate N\/DURATION\|none/],
    ];
    for (const [flags, message] of bad) {
      const run = await cli('queues', 'set', 'limited', ...flags);
      expect({ flags, code: run.code }).toEqual({ flags, code: 2 });
      expect(run.stderr).toMatch(message);
    }
    const unknown = await cli('queues', 'set', 'limited', '--concurrency', '2', '--burst', '5');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('burst');
    const shown = JSON.parse((await cli('queues', 'show', 'limited', '--json')).stdout);
    expect(shown).toMatchObject({ name: 'limited', concurrency: 1, rate: '100/1s' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await cli('submit', '--type', 'echo', '--queue', 'limited')).stdout.trim());
    }
    for (const id of ids) expect((await cli('wait', id)).code).toBe(0);
    const after = JSON.parse((await cli('queues', 'show', 'limited', '--json')).stdout);
    expect(after).toMatchObject({ running: 0, waiting: 0, counts: { completed: 3 } });
    const cleared = await cli(
      'queues',
      'set',
      'limited',
      '--concurrency',
      'none',
      '--rate',
      'none',
    );
    expect(cleared.stdout).toMatch(/^concurrency\s+no limit$/m);
  });

  it('fails with one line for an unknown or malformed job id', async () => {
    const unknown = await cli('job', '01a22269-1b76-7000-b55a-abfbe45ff796');
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/not_found, HTTP 404/);
    const malformed = await cli('job', 'nope');
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/HTTP 400/);
  });
});

/** Parses Prometheus text format, checking every line, into `name{labels}` -> value. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][\w:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      typed.add(type[1] as string);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const sample = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (-?[\d.e+-]+|NaN|[+-]Inf)$/.exec(line);
    if (!sample) throw new Error(`not Prometheus text: ${line}`);
    const name = sample[1] as string;
    const family = name.replace(/_(bucket|sum|count)$/, '');
    if (!typed.has(name) && !typed.has(family)) throw new Error(`sample before its TYPE: ${line}`);
    samples.set(`${name}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return samples;
}
