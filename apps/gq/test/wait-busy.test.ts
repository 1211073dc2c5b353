import { GopherQueueClient } from '@gopherqueue/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type GqServer } from '../src/server.js';
import { eventually } from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

// A server that holds one wait at once: a second wait for an unfinished job gets 503 with
// `Retry-After: 5`. The tests keep that one slot taken by a wait for a job nobody runs.
let server: GqServer;
let client: GopherQueueClient;
const holder = new AbortController();
let held: Promise<unknown>;

/** POST /jobs/:id/wait, answered however the server answers it. */
function rawWait(id: string, timeout: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${server.url}/api/v1/jobs/${id}/wait`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ timeout }),
    ...(signal === undefined ? {} : { signal }),
  });
}

beforeAll(async () => {
  server = await startServer({ http: '127.0.0.1:0', store: 'memory', workers: 2, maxJobWaits: 1 });
  client = new GopherQueueClient({ baseUrl: server.url });
  // No handler runs `nobody.runs`: the job stays scheduled and its wait holds the slot.
  const parked = await client.submit('nobody.runs');
  held = rawWait(parked.id, '4m', holder.signal).catch(() => undefined);
  await eventually(async () => {
    const res = await rawWait(parked.id, '50ms');
    await res.body?.cancel();
    return res.status === 503 ? true : undefined;
  }, 'the one wait slot taken');
});

afterAll(async () => {
  holder.abort();
  await held;
  await server?.stop();
});

describe('a server at its cap of waits (503 with Retry-After)', () => {
  it('is answered 503 with Retry-After: 5 by the API itself', async () => {
    const job = await client.submit('nobody.runs');
    const res = await rawWait(job.id, '1s');
    await res.body?.cancel();
    expect([res.status, res.headers.get('retry-after')]).toEqual([503, '5']);
  });

  it('gq wait asks again after Retry-After and prints the job once it finished', async () => {
    const job = await client.submit('sleep', '3s');
    const started = performance.now();
    const run = await gq(['wait', job.id, '--server', server.url]);
    const elapsedMs = performance.now() - started;
    expect(run).toEqual({
      code: 0,
      stdout: `id:     ${job.id}\nstate:  completed\nresult: {"slept_ms":3000}\n`,
      stderr: '',
    });
    // Refused at once (the job was still sleeping), it waited the 5 s the server asked for.
    expect(elapsedMs).toBeGreaterThanOrEqual(4_900);
  });

  it('gq wait --timeout pauses no longer than the time it has left, then reports the job unfinished', async () => {
    const job = await client.submit('nobody.runs');
    const started = performance.now();
    const run = await gq(['wait', job.id, '--timeout', '2s', '--server', server.url]);
    const elapsedMs = performance.now() - started;
    expect(run).toEqual({
      code: 1,
      stdout: `id:        ${job.id}\nstate:     scheduled\ntimed out: yes\n`,
      stderr: `gq: job ${job.id} did not finish in time (scheduled)\n`,
    });
    expect(elapsedMs).toBeGreaterThanOrEqual(1_900);
    expect(elapsedMs).toBeLessThan(4_500);
  });

  it('gq submit --wait asks again after Retry-After too, instead of losing the job', async () => {
    const started = performance.now();
    const run = await gq([
      'submit',
      '--type',
      'sleep',
      '--payload',
      '"3s"',
      '--wait',
      '--server',
      server.url,
    ]);
    const elapsedMs = performance.now() - started;
    const id = /^id:\s+(\S+)$/m.exec(run.stdout)?.[1] as string;
    expect(run).toEqual({
      code: 0,
      stdout: `id:     ${id}\nstate:  completed\nresult: {"slept_ms":3000}\n`,
      stderr: '',
    });
    expect(elapsedMs).toBeGreaterThanOrEqual(4_900);
  });
});

describe('gq wait --timeout', () => {
  it('says a negative duration given as the next word must be positive', async () => {
    for (const timeout of ['-5s', '-1h30m']) {
      expect(await gq(['wait', 'some-id', '--timeout', timeout, '--server', server.url])).toEqual({
        code: 2,
        stdout: '',
        stderr: `gq: --timeout must be a positive duration, e.g. 30s; got "${timeout}"\n`,
      });
    }
    expect(await gq(['wait', 'some-id', '--timeout=-5s', '--server', server.url])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'gq: --timeout must be a positive duration, e.g. 30s; got "-5s"\n',
    });
  });

  it('says the flag needs a value when none follows it', async () => {
    expect(await gq(['wait', 'some-id', '--server', server.url, '--timeout'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'gq: Not enough arguments following: timeout (see `gq --help`)\n',
    });
  });
});
