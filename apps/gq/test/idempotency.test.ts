import type { WireBatchResult, WireJob } from '@gopherqueue/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, spawnServer, tempDir, type GqProcess } from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let producerA: string;
let producerB: string;

/** Makes a key on the stopped server's data directory and returns it. */
async function bootstrapKey(role: string, queues: string): Promise<string> {
  const run = await gq([
    'keys',
    'create',
    '--role',
    role,
    '--queues',
    queues,
    '--data-dir',
    dir.path,
  ]);
  expect(run.code).toBe(0);
  return /^key:\s+(\S+)$/m.exec(run.stdout)?.[1] as string;
}

async function post(
  path: string,
  key: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': key },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  dir = await tempDir('gq-idem-');
  producerA = await bootstrapKey('producer', 'qa');
  producerB = await bootstrapKey('producer', 'qb');
  server = await spawnServer(dir.path, ['--auth', '--unknown-types', 'leave']);
});

afterAll(async () => {
  await killAll();
  await dir?.remove();
});

describe('idempotency keys over HTTP', () => {
  it('keeps a key of one queue from answering a submit in another queue', async () => {
    const secret = { card: '4111-1111-1111-1111' };
    const inB = await post('/jobs', producerB, {
      type: 'charge',
      queue: 'qb',
      payload: secret,
      idempotency_key: 'order-1',
    });
    expect(inB.status).toBe(201);
    const jobB = inB.body as WireJob;

    const inA = await post('/jobs', producerA, {
      type: 'charge',
      queue: 'qa',
      payload: { mine: true },
      idempotency_key: 'order-1',
    });
    expect(inA.status).toBe(201);
    const jobA = inA.body as WireJob;
    expect(jobA.id).not.toBe(jobB.id);
    expect(jobA).toMatchObject({ queue: 'qa', payload: { mine: true } });
    expect(JSON.stringify(inA.body)).not.toContain('4111');

    const again = await post('/jobs', producerA, {
      type: 'charge',
      queue: 'qa',
      payload: { mine: 'again' },
      idempotency_key: 'order-1',
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: jobA.id, deduplicated: true, payload: { mine: true } });
  });

  it('keeps a key of one queue from answering a batch job in another queue', async () => {
    const inB = await post('/jobs', producerB, {
      type: 'charge',
      queue: 'qb',
      payload: { secret: 'b' },
      idempotency_key: 'order-2',
    });
    expect(inB.status).toBe(201);
    const batch = await post('/jobs/batch', producerA, {
      jobs: [
        { type: 'charge', queue: 'qa', payload: { n: 1 }, idempotency_key: 'order-2' },
        { type: 'charge', queue: 'qa', payload: { n: 2 }, idempotency_key: 'order-2' },
      ],
    });
    expect(batch.status).toBe(201);
    const answer = batch.body as WireBatchResult;
    expect(answer).toMatchObject({ total: 2, accepted: 2, rejected: 0 });
    const [first, second] = answer.results;
    expect(first?.job).toMatchObject({ queue: 'qa', payload: { n: 1 } });
    expect(first?.job?.deduplicated).toBeUndefined();
    expect(first?.job?.id).not.toBe((inB.body as WireJob).id);
    expect(second?.job).toMatchObject({ id: first?.job?.id, deduplicated: true });
    expect(JSON.stringify(batch.body)).not.toContain('"secret"');
  });
});
