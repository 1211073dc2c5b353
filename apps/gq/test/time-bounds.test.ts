import type { WireJob, WireLeasedJob } from '@gopherqueue/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
/** A job leased to this test, for the release and heartbeat cases. */
let held: WireLeasedJob;
/** A finished job, for the wait case (a wait on it answers at once). */
let finished: WireJob;
/** A job of a type only this test claims, for the claim case. */
let waiting: WireJob;

const YEAR_MS = 365 * 86_400_000;

interface Answer {
  status: number;
  body: unknown;
}

async function send(method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** Every stored job's id and state, newest first. */
async function listing(query = ''): Promise<string[]> {
  const answer = await send('GET', `/jobs?limit=1000${query}`);
  expect(answer.status).toBe(200);
  return (answer.body as { jobs: WireJob[] }).jobs.map((job) => `${job.id} ${job.state}`);
}

async function totalJobs(): Promise<number> {
  const answer = await send('GET', '/stats');
  expect(answer.status).toBe(200);
  return (answer.body as { queue: { total_jobs: number } }).queue.total_jobs;
}

/**
 * `later` is `aheadMs` after `earlier`, less the moment between the API reading its clock and
 * the store stamping the job.
 */
function expectAhead(later: string | undefined, earlier: string, aheadMs: number): void {
  const gap = Date.parse(later ?? '') - Date.parse(earlier);
  expect(gap).toBeLessThanOrEqual(aheadMs);
  expect(gap).toBeGreaterThan(aheadMs - 60_000);
}

async function submit(body: Record<string, unknown>): Promise<WireJob> {
  const answer = await send('POST', '/jobs', body);
  expect(answer.status).toBe(201);
  return answer.body as WireJob;
}

/** Each absurd time a client may send, and the field the 400 must name. */
const CASES: { name: string; request: () => [string, string, unknown]; field: string }[] = [
  {
    name: 'scheduled_at: 1e300',
    request: () => ['POST', '/jobs', { type: 'echo', scheduled_at: 1e300 }],
    field: 'scheduled_at',
  },
  {
    name: 'scheduled_at: 8.64e15 + 10 (past the last time a Date holds)',
    request: () => ['POST', '/jobs', { type: 'echo', scheduled_at: 8.64e15 + 10 }],
    field: 'scheduled_at',
  },
  {
    name: 'scheduled_at 11 years ahead, as RFC 3339',
    request: () => [
      'POST',
      '/jobs',
      { type: 'echo', scheduled_at: new Date(Date.now() + 11 * YEAR_MS).toISOString() },
    ],
    field: 'scheduled_at',
  },
  {
    name: 'delay: 1e308',
    request: () => ['POST', '/jobs', { type: 'echo', delay: 1e308 }],
    field: 'delay',
  },
  {
    name: 'delay: "87601h" (an hour past 10 years)',
    request: () => ['POST', '/jobs', { type: 'echo', delay: '87601h' }],
    field: 'delay',
  },
  {
    name: 'timeout: 1e308',
    request: () => ['POST', '/jobs', { type: 'echo', timeout: 1e308 }],
    field: 'timeout',
  },
  {
    name: 'backoff.initial: 1e300',
    request: () => ['POST', '/jobs', { type: 'echo', backoff: { initial: 1e300 } }],
    field: 'backoff.initial',
  },
  {
    name: 'backoff.max: "100000h"',
    request: () => ['POST', '/jobs', { type: 'echo', backoff: { max: '100000h' } }],
    field: 'backoff.max',
  },
  {
    name: 'backoff.max_ms: 1e300',
    request: () => ['POST', '/jobs', { type: 'echo', backoff: { max_ms: 1e300 } }],
    field: 'backoff.max_ms',
  },
  {
    name: 'an atomic batch with delay: 1e308 in its second job',
    request: () => [
      'POST',
      '/jobs/batch',
      { atomic: true, jobs: [{ type: 'echo' }, { type: 'echo', delay: 1e308 }] },
    ],
    field: 'jobs.1.delay',
  },
  {
    name: 'release with delay: 1e300',
    request: () => [
      'POST',
      `/jobs/${held.id}/release`,
      { lease_token: held.lease_token, delay: 1e300 },
    ],
    field: 'delay',
  },
  {
    name: 'heartbeat with lease: 1e300',
    request: () => [
      'POST',
      `/jobs/${held.id}/heartbeat`,
      { lease_token: held.lease_token, lease: 1e300 },
    ],
    field: 'lease',
  },
  {
    name: 'wait with timeout: 1e308',
    request: () => ['POST', `/jobs/${finished.id}/wait`, { timeout: 1e308 }],
    field: 'timeout',
  },
  {
    name: 'claim with wait: 1e308',
    request: () => [
      'POST',
      '/workers/claim',
      { worker_id: 'bounds', types: ['bounds.claimed'], wait: 1e308 },
    ],
    field: 'wait',
  },
  {
    name: 'claim with lease: 1e308',
    request: () => [
      'POST',
      '/workers/claim',
      { worker_id: 'bounds', types: ['bounds.claimed'], lease: 1e308 },
    ],
    field: 'lease',
  },
];

beforeAll(async () => {
  dir = await tempDir('gq-times-');
  // Types without a local handler stay for this test's own claims.
  server = await spawnServer(dir.path, ['--unknown-types', 'leave', '--workers', '2']);
  const echo = await submit({ type: 'echo', payload: 1 });
  finished = await eventually(async () => {
    const job = (await send('GET', `/jobs/${echo.id}`)).body as WireJob;
    return job.state === 'completed' ? job : undefined;
  }, 'the echo job to complete');
  await submit({ type: 'bounds.held' });
  const claim = await send('POST', '/workers/claim', {
    worker_id: 'bounds',
    types: ['bounds.held'],
  });
  expect(claim.status).toBe(200);
  [held] = (claim.body as { jobs: [WireLeasedJob] }).jobs;
  expect(held.type).toBe('bounds.held');
  waiting = await submit({ type: 'bounds.claimed' });
  await submit({ type: 'echo', delay: '1h' });
});

afterAll(async () => {
  await killAll();
  await dir?.remove();
});

describe('absurd times over HTTP', () => {
  it('answer 400 naming the field, and store nothing', async () => {
    const before = await listing();
    const total = await totalJobs();
    expect(before).toHaveLength(4);
    for (const { name, request, field } of CASES) {
      const [method, path, body] = request();
      const answer = await send(method, path, body);
      expect({ name, status: answer.status }).toEqual({ name, status: 400 });
      expect(answer.body, name).toMatchObject({
        error: { code: 'validation_error', details: { field } },
      });
      expect((answer.body as { error: { message: string } }).error.message, name).toContain(field);
    }
    expect(await listing()).toEqual(before);
    expect(await totalJobs()).toBe(total);
    const job = (await send('GET', `/jobs/${held.id}`)).body as WireJob;
    expect(job).toMatchObject({ state: 'running', attempt: 1 });
    expect(((await send('GET', `/jobs/${waiting.id}`)).body as WireJob).state).toBe('scheduled');
  });

  it('accept the largest times allowed', async () => {
    const limit = await submit({ type: 'echo', delay: '87600h', timeout: '87600h' });
    expect(limit).toMatchObject({ state: 'delayed', timeout_ms: 10 * YEAR_MS });
    expectAhead(limit.scheduled_at, limit.created_at, 10 * YEAR_MS);
    const far = await submit({
      type: 'echo',
      scheduled_at: new Date(Date.now() + 9 * YEAR_MS).toISOString(),
      backoff: { initial: '87600h', max: '87600h' },
    });
    expect(far).toMatchObject({
      state: 'delayed',
      backoff: { initial_ms: 10 * YEAR_MS, max_ms: 10 * YEAR_MS },
    });
    const released = await send('POST', `/jobs/${held.id}/release`, {
      lease_token: held.lease_token,
      delay: '87600h',
    });
    expect(released.status).toBe(200);
    const job = released.body as WireJob;
    expect(job.state).toBe('scheduled');
    expectAhead(job.scheduled_at, job.updated_at, 10 * YEAR_MS);
  });

  it('leave every listing, filter and job readable, also after a restart', async () => {
    const check = async (): Promise<void> => {
      const all = await listing();
      expect(all).toHaveLength(6);
      expect(await listing('&state=delayed')).toHaveLength(3);
      expect(await listing('&type=echo')).toHaveLength(4);
      for (const line of all) {
        const id = line.split(' ')[0] as string;
        expect((await send('GET', `/jobs/${id}`)).status).toBe(200);
      }
    };
    await check();
    expect(await stopProcess(server)).toEqual({ code: 0, signal: null });
    server = await spawnServer(dir.path, ['--unknown-types', 'leave', '--workers', '2']);
    await check();
  });
});
