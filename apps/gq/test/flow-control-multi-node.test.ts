import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createJob, type Job } from '@gopherqueue/core';
import { PostgresStore } from '@gopherqueue/persistence';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  REPO_ROOT,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';
import {
  allCompleted,
  maxOverlap,
  patchQueue,
  spawnPostgresNode,
} from './helpers/postgres-node.js';
import {
  describeWithPostgres,
  dropSchemas,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './helpers/postgres.js';

const HANDLERS = join(REPO_ROOT, 'apps/gq/test/fixtures/flow-control-handlers.mjs');
const schemas: string[] = [];
let dir: { path: string; remove(): Promise<void> };
let log: string;
let store: PostgresStore;

/** A node with 32 slots and a 10 s lease, on `schema`. */
function startNode(schema: string): Promise<GqProcess> {
  return spawnPostgresNode({
    schema,
    handlers: HANDLERS,
    workers: 32,
    lease: '10s',
    env: { GQ_TEST_RUN_LOG: log },
  });
}

/** Submits `count` jobs of `fc.slow` to `queue`; returns their ids. */
async function submit(queue: string, count: number, ms: number): Promise<string[]> {
  const specs = Array.from({ length: count }, () => createJob('fc.slow', { ms }, { queue }));
  await store.submitBatch(specs);
  return specs.map((spec) => spec.id);
}

/** Waits until every job is completed and returns them as stored. */
function completed(ids: string[]): Promise<Job[]> {
  return allCompleted(store, ids, 90_000);
}

describeWithPostgres('queue limits across gq serve nodes on one PostgreSQL schema', () => {
  beforeAll(async () => {
    dir = await tempDir('gq-flow-');
    log = join(dir.path, 'runs.log');
    await writeFile(log, '');
    store = await PostgresStore.open({
      connectionString: TEST_POSTGRES_URL,
      schema: (schemas[0] = uniqueSchema('gq_flow')),
      poolSize: 4,
    });
  }, 120_000);

  afterAll(async () => {
    await killAll();
    await store?.close();
    await dropSchemas(schemas);
    await dir?.remove();
  });

  it('never runs more than 3 jobs of a queue with concurrency 3 on 2 nodes of 32 slots', async () => {
    const schema = schemas[0] as string;
    const [a, b] = await Promise.all([startNode(schema), startNode(schema)]);
    await patchQueue(a, 'narrow', { concurrency: 3 });
    const ids = await submit('narrow', 60, 30);
    const jobs = await completed(ids);
    // The store's own times: a job is running from its claim (startedAt) until its completion
    // (finishedAt, read before the completion commits); a claim reads the time after it saw the
    // running count, so a slot freed for it was freed before its start. No margin is needed.
    expect(maxOverlap(jobs.map((job) => [job.startedAt!, job.finishedAt!]))).toBe(3);
    // The handlers' own times, inside those, on both nodes.
    const lines = (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
    const runs = lines.map(
      (line) => line.split(' ').map(Number) as [number, number, number, number],
    );
    expect(runs).toHaveLength(60);
    expect(maxOverlap(runs.map(([, , start, end]) => [start, end]))).toBeLessThanOrEqual(3);
    expect(new Set(runs.map(([, pid]) => pid))).toEqual(new Set([a.pid, b.pid]));
    await Promise.all([stopProcess(a), stopProcess(b)]);
  }, 120_000);

  it('starts no more than 50 jobs in any second on 3 nodes draining a queue at rate 50/1s', async () => {
    const schema = (schemas[1] = uniqueSchema('gq_flow_rate'));
    const nodes = await Promise.all([startNode(schema), startNode(schema), startNode(schema)]);
    const own = await PostgresStore.open({
      connectionString: TEST_POSTGRES_URL,
      schema,
      poolSize: 2,
    });
    try {
      await patchQueue(nodes[1], 'rated', { rate: '50/1s' });
      const specs = Array.from({ length: 300 }, () =>
        createJob('fc.slow', { ms: 1 }, { queue: 'rated' }),
      );
      await own.submitBatch(specs);
      const jobs = await eventually(
        async () => {
          const found = (await own.getMany(specs.map((spec) => spec.id))) as Job[];
          return found.every((job) => job.state === 'completed') ? found : undefined;
        },
        '300 jobs completed',
        90_000,
        250,
      );
      // startedAt is the time each claim read under the queue's lock, in the order the starts
      // were allowed, on this machine's one clock: the window holds exactly, with no margin.
      const starts = jobs.map((job) => job.startedAt!).sort((x, y) => x - y);
      for (let i = 0; i + 50 < starts.length; i++) {
        expect(starts[i + 50]! - starts[i]!).toBeGreaterThanOrEqual(1000);
      }
      // More than one node took part (the handlers' log names each run's process).
      const ran = new Set(specs.map((spec) => spec.id));
      const pids = (await readFile(log, 'utf8'))
        .split('\n')
        .map((line) => line.split(' '))
        .filter(([id]) => ran.has(id as string))
        .map(([, pid]) => Number(pid));
      expect(pids).toHaveLength(300);
      expect(new Set(pids).size).toBeGreaterThan(1);
    } finally {
      await own.close();
      await Promise.all(nodes.map((node) => stopProcess(node)));
    }
  }, 120_000);
});
