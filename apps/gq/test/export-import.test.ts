import { createJob, uuidv7, type Job } from '@gopherqueue/core';
import { LevelStore, PostgresStore } from '@gopherqueue/persistence';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir } from './helpers/gq-process.js';
import {
  describeWithPostgres,
  dropSchemas,
  runGqProcess,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './helpers/postgres.js';

const schemas: string[] = [];
let dir: { path: string; remove(): Promise<void> };
/** Every job of the embedded store as it was left, in id order. */
let source: Job[];

/** Jobs in every kind of state, with checkpoints, progress, results, errors and dependencies. */
async function fillEmbeddedStore(location: string): Promise<Job[]> {
  const store = await LevelStore.open({ location });
  try {
    const lease = { workerId: 'w-export', leaseMs: 60_000 };
    const done = createJob('work', { n: 1 }, { tags: { team: 'a' }, idempotencyKey: 'k-1' });
    const failing = createJob('work', { n: 2 }, { maxAttempts: 1, priority: 'high' });
    const running = createJob('work', { n: 3 }, { queue: 'reports' });
    const retrying = createJob('work', { n: 4 });
    const dependent = createJob('after', { n: 5 }, { dependsOn: [running.id] });
    const cancelled = createJob('work', { n: 6 });
    const delayed = createJob('work', { n: 7 }, { delay: '1h' });
    await store.submitBatch([done, failing, running, retrying, dependent, cancelled, delayed]);
    await store.submitBatch(Array.from({ length: 40 }, (_, n) => createJob('bulk', { n })));
    const claim = async (): Promise<Job> => {
      const [job] = await store.claim({ ...lease, limit: 1, types: ['work'] });
      if (!job?.leaseToken) throw new Error('nothing claimed');
      return job;
    };
    // Claim order is priority, then submission: failing (high) first.
    const f = await claim();
    await store.fail(f.id, f.leaseToken as string, {
      error: { message: 'boom', errorClass: 'error', name: 'Error' },
      outcome: { state: 'dead_letter' },
    });
    const d = await claim();
    await store.heartbeat(d.id, d.leaseToken as string, {
      leaseMs: 60_000,
      checkpoint: { page: 9 },
    });
    await store.complete(d.id, d.leaseToken as string, { ok: true, rows: [1, 2] });
    const r = await claim();
    await store.heartbeat(r.id, r.leaseToken as string, {
      leaseMs: 60_000,
      checkpoint: { step: 2 },
      progress: 40,
      progressMessage: 'two of five',
    });
    const t = await claim();
    await store.fail(t.id, t.leaseToken as string, {
      error: { message: 'try later', errorClass: 'timeout' },
      outcome: { state: 'retrying', runAt: Date.now() + 3_600_000 },
    });
    await store.cancel(cancelled.id, 'operator');
    await store.pauseQueue('reports');
    const jobs: Job[] = [];
    for await (const job of store.scan()) jobs.push(job);
    return jobs;
  } finally {
    await store.close();
  }
}

async function readAll(schema: string): Promise<Job[]> {
  const store = await PostgresStore.open({
    connectionString: TEST_POSTGRES_URL,
    schema,
    poolSize: 2,
  });
  try {
    const jobs: Job[] = [];
    for await (const job of store.scan()) jobs.push(job);
    return jobs;
  } finally {
    await store.close();
  }
}

function pgEnv(schema: string): Record<string, string> {
  return { GQ_POSTGRES_SCHEMA: schema };
}

describeWithPostgres('gq export and gq import', () => {
  beforeAll(async () => {
    dir = await tempDir('gq-export-');
    source = await fillEmbeddedStore(dir.path);
  });

  afterAll(async () => {
    await dropSchemas(schemas);
    await dir?.remove();
  });

  it('moves every job of the embedded store into PostgreSQL with its state, attempts, checkpoint, result and errors', async () => {
    const exported = await runGqProcess(['export', '--data-dir', dir.path]);
    expect(exported.stderr).toBe('exported 47 jobs\n');
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(47);
    expect(lines.map((line) => JSON.parse(line) as Job)).toEqual(source);

    const schema = uniqueSchema('gq_import');
    schemas.push(schema);
    const imported = await runGqProcess(
      ['import', '--store', 'postgres', '--postgres-url', TEST_POSTGRES_URL, '--batch-size', '10'],
      { stdin: exported.stdout, env: pgEnv(schema) },
    );
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toBe(
      'imported 47 new jobs of 47 read (0 already in the store, left as they are) in 5 batches\n',
    );
    expect(imported.code).toBe(0);

    const copy = await readAll(schema);
    expect(copy).toEqual(source);
    const byState = (jobs: Job[]) =>
      Object.fromEntries(jobs.map((job) => [job.id, [job.state, job.attempt, job.result ?? null]]));
    expect(byState(copy)).toEqual(byState(source));
    const states = copy.map((job) => job.state).sort();
    expect(new Set(states)).toEqual(
      new Set([
        'completed',
        'dead_letter',
        'running',
        'retrying',
        'pending',
        'cancelled',
        'delayed',
        'scheduled',
      ]),
    );
    const running = copy.find((job) => job.state === 'running');
    expect(running?.checkpoint).toEqual({ step: 2 });
    expect(running?.progress).toBe(40);
    const dead = copy.find((job) => job.state === 'dead_letter');
    expect(dead?.errors).toEqual([
      expect.objectContaining({ message: 'boom', errorClass: 'error', attempt: 1 }),
    ]);

    // The copy is a working store: counts match and the pending dependent waits on its parent.
    const store = await PostgresStore.open({
      connectionString: TEST_POSTGRES_URL,
      schema,
      poolSize: 2,
    });
    try {
      const counts = await store.counts();
      expect(counts.total).toBe(47);
      expect(counts.byState.scheduled).toBe(40);
      const pending = copy.find((job) => job.state === 'pending') as Job;
      const parent = running as Job;
      await store.complete(parent.id, parent.leaseToken as string, { done: 1 });
      expect((await store.get(pending.id))?.state).toBe('scheduled');
    } finally {
      await store.close();
    }
  }, 90_000);

  it('stops at a bad line, naming it, with nothing from its batch on written', async () => {
    const good = source.slice(0, 5).map((job) => JSON.stringify(job));
    const input = [good[0], good[1], good[2], '{"id": "not-a-job"}', good[3], good[4]].join('\n');
    const schema = uniqueSchema('gq_import_bad');
    schemas.push(schema);
    const run = await runGqProcess(
      ['import', '--postgres-url', TEST_POSTGRES_URL, '--batch-size', '2'],
      { stdin: `${input}\n`, env: pgEnv(schema) },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'gq: line 4: id must be a UUID; got "not-a-job"; imported 2 new jobs of 2 read (0 already in the store, left as they are) from the lines before its batch, nothing from line 4 on (import leaves jobs already stored as they are, so fix the line and run it again)\n',
    );
    expect((await readAll(schema)).map((job) => job.id)).toEqual(
      source.slice(0, 2).map((j) => j.id),
    );
  }, 120_000);

  it('holds back a job waiting on a later line, and refuses one waiting on a job in neither the store nor the import', async () => {
    const now = Date.now();
    const record = (type: string, waitingOn: string[] = []): Job => ({
      ...createJob(type, null, { dependsOn: waitingOn }, now),
      state: waitingOn.length > 0 ? 'pending' : 'scheduled',
      attempt: 0,
      runAt: now,
      waitingOn,
      errors: [],
      seq: 1,
      createdAt: now,
      updatedAt: now,
    });
    const parent = record('parent');
    const filler = record('work');
    const early = record('work', [parent.id]);
    const late = record('work', [filler.id]);
    const schema = uniqueSchema('gq_import_deps');
    schemas.push(schema);
    const args = ['import', '--postgres-url', TEST_POSTGRES_URL, '--batch-size', '1'];
    const stdin = [early, filler, parent, late].map((job) => `${JSON.stringify(job)}\n`).join('');
    const run = await runGqProcess(args, { stdin, env: pgEnv(schema) });
    expect(run).toEqual({
      code: 0,
      stdout:
        'imported 4 new jobs of 4 read (0 already in the store, left as they are) in 3 batches\n',
      stderr: '',
    });
    const absent = uuidv7();
    const orphan = record('work', [absent]);
    const refused = await runGqProcess(args, {
      stdin: `${JSON.stringify(orphan)}\n`,
      env: pgEnv(schema),
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `gq: line 1: waitingOn names job ${absent}, which is neither in the store nor in the import; imported 0 new jobs of 0 read (0 already in the store, left as they are), leaving out the 1 job waiting on jobs not written (import leaves jobs already stored as they are, so fix the line and run it again)\n`,
    );
    const ids = (jobs: Job[]) => jobs.map((job) => job.id).sort();
    expect(ids(await readAll(schema))).toEqual(ids([early, filler, parent, late]));

    const store = await PostgresStore.open({
      connectionString: TEST_POSTGRES_URL,
      schema,
      poolSize: 2,
    });
    try {
      const [claimed] = await store.claim({
        workerId: 'w',
        leaseMs: 60_000,
        limit: 1,
        types: ['parent'],
      });
      expect(claimed?.id).toBe(parent.id);
      await store.complete(parent.id, claimed?.leaseToken as string, null);
      expect(await store.get(early.id)).toMatchObject({ state: 'scheduled', waitingOn: [] });
    } finally {
      await store.close();
    }
  }, 120_000);

  it('copies a stopped embedded store into PostgreSQL with one gq migrate, twice without duplicates', async () => {
    const schema = uniqueSchema('gq_migrate');
    schemas.push(schema);
    const args = ['migrate', '--from-data-dir', dir.path, '--to-postgres-url', TEST_POSTGRES_URL];
    for (const [fresh, stored] of [
      [47, 0],
      [0, 47],
    ]) {
      const run = await runGqProcess(args, { env: pgEnv(schema) });
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(
        `migrated ${fresh} new jobs of 47 read (${stored} already in PostgreSQL, left as they are) from ${dir.path} to PostgreSQL\n`,
      );
      expect(run.code).toBe(0);
    }
    expect(await readAll(schema)).toEqual(source);
  }, 120_000);
});
