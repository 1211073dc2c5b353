import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createJob, type Job } from '@gopherqueue/core';
import { PostgresStore } from '@gopherqueue/persistence';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, killAll, REPO_ROOT, tempDir, type GqProcess } from './helpers/gq-process.js';
import { spawnPostgresNode } from './helpers/postgres-node.js';
import {
  describeWithPostgres,
  dropSchemas,
  runSql,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './helpers/postgres.js';

const HANDLERS = join(REPO_ROOT, 'apps/gq/test/fixtures/multi-node-handlers.mjs');
// A live node must never lose a lease here, even when three nodes, PostgreSQL and the test share
// two loaded cores; 10 s leaves room for a stalled event loop. (A third attempt seen in about
// one loaded run in ten was not a stall: late news of a take-back from another node ended the
// next attempt, a bug since fixed and covered by late-change.test.ts.)
const LEASE_MS = 10_000;
const schemas: string[] = [];
let dir: { path: string; remove(): Promise<void> };
let log: string;
let schema: string;
let store: PostgresStore;
let nodes: GqProcess[];

/** A node with 32 slots, sharing `schemaName`; its connections are named `name`. */
function startNode(schemaName: string, name = 'gq_multi_node'): Promise<GqProcess> {
  return spawnPostgresNode({
    schema: schemaName,
    handlers: HANDLERS,
    workers: 32,
    lease: `${LEASE_MS}ms`,
    logLevel: 'warn',
    applicationName: name,
    env: { GQ_TEST_RUN_LOG: log },
  });
}

/** How many connections the node started as `name` still has open at the server. */
function connectionsOf(name: string): Promise<number> {
  return runSql('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [name]);
}

/** Each line of the run log: [job id, pid, attempt]. */
async function runs(): Promise<[string, number, number][]> {
  const text = await readFile(log, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [id, pid, attempt] = line.split(' ');
      return [id as string, Number(pid), Number(attempt)];
    });
}

async function submitAll(type: string, count: number, payload: object = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1000) {
    const specs = Array.from({ length: Math.min(1000, count - i) }, () => createJob(type, payload));
    await store.submitBatch(specs);
    ids.push(...specs.map((spec) => spec.id));
  }
  return ids;
}

async function completedCount(): Promise<number> {
  return (await store.counts()).byState.completed;
}

describeWithPostgres('three gq serve nodes on one PostgreSQL schema', () => {
  beforeAll(async () => {
    dir = await tempDir('gq-multi-');
    log = join(dir.path, 'runs.log');
    await writeFile(log, '');
    schema = uniqueSchema('gq_multi');
    schemas.push(schema);
    store = await PostgresStore.open({ connectionString: TEST_POSTGRES_URL, schema, poolSize: 4 });
    nodes = await Promise.all([
      startNode(schema, 'gq_multi_victim'),
      startNode(schema),
      startNode(schema),
    ]);
  }, 90_000);

  afterAll(async () => {
    await killAll();
    await store?.close();
    await dropSchemas(schemas);
    await dir?.remove();
  });

  it('runs 20,000 jobs to completion, each handler exactly once, spread over the three nodes', async () => {
    const ids = await submitAll('mn.record', 20_000);
    await eventually(
      async () => ((await completedCount()) === 20_000 ? true : undefined),
      '20,000 completed jobs',
      90_000,
      250,
    );
    const lines = await runs();
    const perId = new Map<string, number>();
    for (const [id] of lines) perId.set(id, (perId.get(id) ?? 0) + 1);
    expect(lines).toHaveLength(20_000);
    expect(perId.size).toBe(20_000);
    expect([...perId.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(perId.keys())).toEqual(new Set(ids));
    const pids = new Set(lines.map(([, pid]) => pid));
    expect(pids).toEqual(new Set(nodes.map((node) => node.pid)));
    const counts = await store.counts();
    expect(counts.total).toBe(20_000);
    expect(counts.byState.completed).toBe(20_000);
  }, 120_000);

  it('finishes the running jobs of a node killed with SIGKILL on the others within the lease plus 5 s', async () => {
    await writeFile(log, '');
    const before = await completedCount();
    const ids = await submitAll('mn.slow', 600, { ms: 50 });
    const victim = nodes[0] as GqProcess;
    await eventually(
      async () =>
        (await runs()).filter(([, pid]) => pid === victim.pid).length >= 50 ? true : undefined,
      'the first node running jobs',
      30_000,
      20,
    );
    expect(await connectionsOf('gq_multi_victim')).toBeGreaterThan(0);
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    // A statement the victim sent before it died still runs to its end at the server (a batch of
    // completions committing, say): only once its connections are gone is the set of jobs it
    // left running fixed.
    await eventually(
      async () => ((await connectionsOf('gq_multi_victim')) === 0 ? true : undefined),
      "the killed node's connections closed at the server",
      30_000,
      50,
    );
    // Its jobs: running now, and last started by the killed process.
    const lastRunner = new Map<string, number>();
    for (const [id, pid] of await runs()) lastRunner.set(id, pid);
    const running = (await store.list({ state: 'running', limit: 1000 })).jobs;
    const orphans = running.filter((job) => lastRunner.get(job.id) === victim.pid);
    expect(orphans.length).toBeGreaterThan(0);

    await eventually(
      async () => ((await completedCount()) === before + 600 ? true : undefined),
      'every job completed',
      60_000,
      200,
    );
    const after = (await store.getMany(orphans.map((job) => job.id))) as Job[];
    const allRuns = await runs();
    for (const job of after) {
      // On a mismatch the message holds what tells a lost lease's story: each run of the job
      // (pid, attempt), each recorded error, and every node's log lines that name it.
      const story = JSON.stringify({
        victim: victim.pid,
        killedAt,
        runs: allRuns.filter(([id]) => id === job.id),
        errors: job.errors,
        logs: nodes.flatMap((node) =>
          node
            .stderr()
            .split('\n')
            .filter((line) => line.includes(job.id))
            .map((line) => `${node.pid}: ${line}`),
        ),
      });
      expect(
        {
          state: job.state,
          attempt: job.attempt,
          errors: job.errors.map((e) => e.errorClass),
        },
        story,
      ).toEqual({ state: 'completed', attempt: 2, errors: ['lease_expired'] });
      expect(job.finishedAt).toBeLessThanOrEqual(killedAt + LEASE_MS + 5_000);
      expect(job.result).not.toEqual({ pid: victim.pid });
    }
    const ran = new Set((await runs()).map(([id]) => id));
    expect(ids.every((id) => ran.has(id))).toBe(true);
    const final = (await store.getMany(ids)) as Job[];
    expect(final.every((job) => job.state === 'completed')).toBe(true);
  }, 120_000);

  it('brings up two nodes started at the same moment on an empty schema', async () => {
    const fresh = uniqueSchema('gq_multi_race');
    schemas.push(fresh);
    const [a, b] = await Promise.all([startNode(fresh), startNode(fresh)]);
    for (const node of [a, b]) {
      const ready = await fetch(`${node.url}/ready`);
      expect(ready.status).toBe(200);
    }
    const submitted = await fetch(`${a.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'echo', payload: { hello: 'b' } }),
    });
    expect(submitted.status).toBe(201);
    const { id } = (await submitted.json()) as { id: string };
    const job = await eventually(
      async () => {
        const res = await fetch(`${b.url}/api/v1/jobs/${id}`);
        const body = (await res.json()) as { state: string; result?: unknown };
        return body.state === 'completed' ? body : undefined;
      },
      'the job completed',
      20_000,
      100,
    );
    expect(job.result).toEqual({ hello: 'b' });
  }, 90_000);
});
