import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createJob, type Job, type JobSpec } from '@gopherqueue/core';
import { PostgresStore } from '@gopherqueue/persistence';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  REPO_ROOT,
  spawnGq,
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

const HANDLERS = join(REPO_ROOT, 'apps/gq/test/fixtures/group-handlers.mjs');
const schemas: string[] = [];
let dir: { path: string; remove(): Promise<void> };
let log: string;
let store: PostgresStore;
let nodes: GqProcess[] = [];
let worker: GqProcess | undefined;

const LOG_ENV = (): Record<string, string> => ({
  GQ_POSTGRES_SCHEMA: schemas[0] as string,
  GQ_TEST_RUN_LOG: log,
});

/**
 * The lease of every process. Long enough that a heartbeat delayed on a loaded machine never lets
 * a healthy run's lease lapse (a lapsed lease is a legitimate second run, which the exact counts
 * below would report as a failure: seen once at a load of 58 with 5 s); short enough that the
 * SIGKILLed node's job is taken back well within the test's bound.
 */
const LEASE = '15s';

/** A node with 16 slots. */
function startNode(): Promise<GqProcess> {
  return spawnPostgresNode({
    schema: schemas[0] as string,
    handlers: HANDLERS,
    workers: 16,
    lease: LEASE,
    env: LOG_ENV(),
  });
}

/** `gq work` against `server` with 16 slots. */
function startWorker(server: string): Promise<GqProcess> {
  return spawnGq(
    [
      'work',
      '--server',
      server,
      '--handlers',
      HANDLERS,
      '--concurrency',
      '16',
      '--lease',
      LEASE,
      '--log-format',
      'json',
      '--log-level',
      'error',
    ],
    { ready: /gq work pulling/, env: LOG_ENV(), timeoutMs: 60_000 },
  );
}

interface RunLine {
  mark: 'S' | 'E';
  id: string;
  pid: number;
  group: string;
  attempt: number;
  at: number;
}

async function runLines(): Promise<RunLine[]> {
  return (await readFile(log, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [mark, id, pid, group, attempt, at] = line.split(' ');
      return {
        mark: mark as 'S' | 'E',
        id: id as string,
        pid: Number(pid),
        group: group as string,
        attempt: Number(attempt),
        at: Number(at),
      };
    });
}

describeWithPostgres('group keys across 3 gq serve nodes and a gq work on PostgreSQL', () => {
  beforeAll(async () => {
    dir = await tempDir('gq-groups-');
    log = join(dir.path, 'runs.log');
    await writeFile(log, '');
    schemas[0] = uniqueSchema('gq_groups');
    store = await PostgresStore.open({
      connectionString: TEST_POSTGRES_URL,
      schema: schemas[0],
      poolSize: 4,
    });
    nodes = await Promise.all([startNode(), startNode(), startNode()]);
    worker = await startWorker((nodes[2] as GqProcess).url);
  }, 120_000);

  afterAll(async () => {
    await killAll();
    await store?.close();
    await dropSchemas(schemas);
    await dir?.remove();
  });

  it('never runs more than 2 jobs of one key: 2,000 jobs over 50 keys, each completed once', async () => {
    await patchQueue(nodes[0] as GqProcess, 'grouped', { group_concurrency: 2 });
    const specs: JobSpec[] = [];
    for (let i = 0; i < 2000; i++) {
      const group = `customer-${i % 50}`;
      specs.push(createJob('grp.run', { group, ms: 5 + (i % 7) * 3 }, { queue: 'grouped', group }));
    }
    for (let at = 0; at < specs.length; at += 500)
      await store.submitBatch(specs.slice(at, at + 500));
    const ids = specs.map((spec) => spec.id);
    const jobs = await allCompleted(store, ids, 110_000);

    // The store's times: running from the claim to the completion, per key.
    const byGroup = new Map<string, [number, number][]>();
    for (const job of jobs) {
      const list = byGroup.get(job.group as string) ?? [];
      list.push([job.startedAt as number, job.finishedAt as number]);
      byGroup.set(job.group as string, list);
    }
    expect(byGroup.size).toBe(50);
    // At most 2 at once per key. (Whether a key reaches 2 here depends on how fast claims come
    // round to it again before its 5-23 ms jobs end, so that the limit is 2 and not 1 is shown
    // below with jobs long enough to overlap.)
    for (const [group, runs] of byGroup) expect(maxOverlap(runs), group).toBeLessThanOrEqual(2);

    // The handlers' own records, start to end, on every process.
    const lines = await runLines();
    const starts = lines.filter((l) => l.mark === 'S');
    const ends = new Map(lines.filter((l) => l.mark === 'E').map((l) => [l.id, l]));
    expect(starts).toHaveLength(2000);
    expect(new Set(starts.map((l) => l.id))).toEqual(new Set(ids));
    const handlerRuns = new Map<string, [number, number][]>();
    for (const start of starts) {
      const end = ends.get(start.id) as RunLine;
      const list = handlerRuns.get(start.group) ?? [];
      list.push([start.at, end.at]);
      handlerRuns.set(start.group, list);
    }
    for (const [group, runs] of handlerRuns) {
      expect(maxOverlap(runs), group).toBeLessThanOrEqual(2);
    }
    expect(jobs.every((job) => job.attempt === 1)).toBe(true);
    // Every serve node and the remote worker took part.
    const pids = new Set(starts.map((l) => l.pid));
    for (const proc of [...nodes, worker as GqProcess]) expect(pids).toContain(proc.pid);

    const detail = (await (await fetch(`${nodes[1]?.url}/api/v1/queues/grouped`)).json()) as {
      group_concurrency: number;
      groups_at_limit: unknown[];
    };
    expect(detail).toMatchObject({ group_concurrency: 2, groups_at_limit: [] });

    // Three jobs of one key submitted together: the limit is 2, so two run side by side while
    // the third waits for one of them to end.
    const held = [8000, 8000, 10].map((ms) =>
      createJob('grp.run', { group: 'held', ms }, { queue: 'grouped', group: 'held' }),
    );
    await store.submitBatch(held);
    const running = await eventually(
      async () => {
        const states = (await store.getMany(held.map((spec) => spec.id))).map((job) => job?.state);
        return states.filter((state) => state === 'running').length === 2 ? states : undefined;
      },
      'two jobs of the held key running',
      30_000,
      50,
    );
    expect(running).toEqual(['running', 'running', 'scheduled']);
    const atLimit = (await (await fetch(`${nodes[2]?.url}/api/v1/queues/grouped`)).json()) as {
      groups_at_limit: unknown[];
    };
    expect(atLimit.groups_at_limit).toEqual([{ group: 'held', running: 2 }]);
    const heldJobs = await allCompleted(
      store,
      held.map((spec) => spec.id),
      60_000,
    );
    const [a, b, third] = heldJobs as [Job, Job, Job];
    expect(
      maxOverlap(heldJobs.map((job) => [job.startedAt as number, job.finishedAt as number])),
    ).toBe(2);
    expect(third.startedAt).toBeGreaterThanOrEqual(
      Math.min(a.finishedAt as number, b.finishedAt as number),
    );
  }, 120_000);

  it('starts the jobs of each key in submission order, across a retry and a SIGKILL', async () => {
    await writeFile(log, '');
    await patchQueue(nodes[1] as GqProcess, 'fifo', { ordered: true });
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    const specs: JobSpec[] = [];
    for (let i = 0; i < 500; i++) {
      const group = keys[i % 5] as string;
      const payload: Record<string, unknown> = { group, ms: 5 };
      if (i % 25 === 7) payload.failOnce = true;
      // One job of k3, a third of the way in, runs long enough to be killed mid-run.
      if (i === 153) payload.firstMs = 60_000;
      specs.push(
        createJob('grp.run', payload, {
          queue: 'fifo',
          group,
          backoff: { strategy: 'constant', initialMs: 300, jitter: false },
          maxAttempts: 5,
        }),
      );
    }
    await store.submitBatch(specs);
    const index = new Map(specs.map((spec, i) => [spec.id, i]));
    const slow = specs[153] as JobSpec;

    // Kill the process running the long job once it started (a serve node, or the worker).
    const first = await eventually(
      async () => (await runLines()).find((l) => l.mark === 'S' && l.id === slow.id),
      'the long job running',
      60_000,
      50,
    );
    const victim = [...nodes, worker as GqProcess].find((p) => p.pid === first.pid) as GqProcess;
    expect(victim).toBeDefined();
    victim.child.kill('SIGKILL');
    await victim.exited;
    // Its lease lapses and another process runs it again (quickly, the second time).
    const jobs = await allCompleted(
      store,
      specs.map((spec) => spec.id),
      150_000,
    );
    expect(jobs.every((job) => job.state === 'completed')).toBe(true);

    // Per key, the starts in the order they were written never go back to an earlier job.
    const lines = await runLines();
    for (const key of keys) {
      const order = lines
        .filter((l) => l.mark === 'S' && l.group === key)
        .map((l) => index.get(l.id) as number);
      const sorted = [...order].sort((a, b) => a - b);
      expect(order, key).toEqual(sorted);
      expect(new Set(order).size).toBe(100);
    }
    // The jobs that failed once ran twice, the second time right after their first.
    const failedOnce = specs.filter((_, i) => i % 25 === 7).map((spec) => spec.id);
    const attempts = new Map(jobs.map((job) => [job.id, job.attempt]));
    for (const id of failedOnce) expect(attempts.get(id)).toBeGreaterThanOrEqual(2);
    // The long job was started again by another process after the kill.
    const slowStarts = lines.filter((l) => l.mark === 'S' && l.id === slow.id);
    expect(slowStarts.length).toBeGreaterThanOrEqual(2);
    expect(slowStarts.at(-1)?.pid).not.toBe(victim.pid);
    await Promise.all(
      [...nodes, worker as GqProcess].filter((p) => p !== victim).map((p) => stopProcess(p)),
    );
  }, 240_000);
});
