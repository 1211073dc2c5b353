import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GopherQueueClient } from '@gopherqueue/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  FIXTURE_HANDLERS,
  killAll,
  spawnServer,
  spawnWorker,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';
import { spawnPostgresNode } from './helpers/postgres-node.js';
import { describeWithPostgres, dropSchemas, uniqueSchema } from './helpers/postgres.js';

/** The product's promise: a cancel answered by the API reaches the running handler this soon. */
const CANCEL_REACHES_HANDLER_MS = 1_000;

let dir: { path: string; remove(): Promise<void> };
const schemas: string[] = [];

beforeAll(async () => {
  dir = await tempDir('gq-cancel-');
});

afterAll(async () => {
  await killAll();
  await dropSchemas(schemas);
  await dir?.remove();
});

/** What the `remote.cancellable` handler wrote to its log: when it started, and its abort. */
async function handlerLog(
  log: string,
): Promise<{ startedBy?: number; abortedAt?: number; reason?: string }> {
  const text = await readFile(log, 'utf8').catch(() => '');
  const started = /^started \d+ (\d+)$/m.exec(text);
  const aborted = /^aborted (\d+) (\S+)$/m.exec(text);
  return {
    ...(started ? { startedBy: Number(started[1]) } : {}),
    ...(aborted ? { abortedAt: Number(aborted[1]), reason: aborted[2] } : {}),
  };
}

/**
 * Submits a `remote.cancellable` job through `submitTo`, waits until it runs in `runner`, cancels
 * it through `cancelThrough`, and resolves with how long after the cancel's answer the handler
 * saw its signal, and the signal's reason.
 */
async function cancelRunningJob(
  submitTo: GopherQueueClient,
  cancelThrough: GopherQueueClient,
  runner: GqProcess,
  name: string,
): Promise<{ afterAnswerMs: number; reason: string | undefined; state: string }> {
  const log = join(dir.path, `${name}.log`);
  const job = await submitTo.submit('remote.cancellable', { log }, { maxAttempts: 1 });
  await eventually(async () => {
    const seen = await handlerLog(log);
    return seen.startedBy === runner.pid ? true : undefined;
  }, `the handler to start in ${name}`);
  const answer = await cancelThrough.cancel(job.id);
  const answeredAt = Date.now();
  expect(answer.state).toBe('cancelled');
  const { abortedAt, reason } = await eventually(async () => {
    const seen = await handlerLog(log);
    return seen.abortedAt === undefined ? undefined : seen;
  }, `the handler in ${name} to see its signal`);
  const state = (await cancelThrough.get(job.id)).state;
  return { afterAnswerMs: (abortedAt as number) - answeredAt, reason, state };
}

describe('a cancel through the API', () => {
  it('stops a handler running under gq work within 1 s', async () => {
    const server = await spawnServer(join(dir.path, 'work-data'));
    // The default lease (30 s) renews every 10 s: only the worker's event stream is this quick.
    const worker = await spawnWorker(server.url, ['--types', 'remote.cancellable']);
    const client = new GopherQueueClient({ baseUrl: server.url });
    const seen = await cancelRunningJob(client, client, worker, 'gq-work');
    expect(seen.reason).toBe('GQ_LEASE_LOST');
    expect(seen.state).toBe('cancelled');
    expect(seen.afterAnswerMs).toBeLessThanOrEqual(CANCEL_REACHES_HANDLER_MS);
    expect(await stopProcess(worker)).toEqual({ code: 0, signal: null });
    expect(await stopProcess(server)).toEqual({ code: 0, signal: null });
  }, 120_000);
});

describeWithPostgres('a cancel through one gq serve node on PostgreSQL', () => {
  /** A node in `schema`, with extra flags. */
  function startNode(schema: string, flags: readonly string[]): Promise<GqProcess> {
    return spawnPostgresNode({ schema, logLevel: 'warn', flags });
  }

  it('stops a handler running on a second node within 1 s', async () => {
    const schema = uniqueSchema('gq_cancel');
    schemas.push(schema);
    // Only the second node has the handler, so the job runs there.
    const front = await startNode(schema, []);
    const back = await startNode(schema, ['--handlers', FIXTURE_HANDLERS]);
    const frontClient = new GopherQueueClient({ baseUrl: front.url });
    const seen = await cancelRunningJob(frontClient, frontClient, back, 'second-node');
    expect(seen.reason).toBe('GQ_LEASE_LOST');
    expect(seen.state).toBe('cancelled');
    expect(seen.afterAnswerMs).toBeLessThanOrEqual(CANCEL_REACHES_HANDLER_MS);
    expect(await stopProcess(back)).toEqual({ code: 0, signal: null });
    expect(await stopProcess(front)).toEqual({ code: 0, signal: null });
  }, 120_000);
});
