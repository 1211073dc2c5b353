import { join } from 'node:path';
import { createJob, uuidv7, type Job } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES } from '../src/job-ndjson.js';
import { tempDir } from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

let dir: { path: string; remove(): Promise<void> };
let stores = 0;

beforeAll(async () => {
  dir = await tempDir('gq-import-checks-');
});

afterAll(async () => {
  await dir?.remove();
});

const AGAIN = 'import leaves jobs already stored as they are, so fix the line and run it again';

/** A new data directory's path. */
function dataDir(): string {
  return join(dir.path, `store-${++stores}`);
}

/** A job as an export holds it: scheduled, or as `change` makes it. */
function record(change: Partial<Job> = {}, type = 'work'): Job {
  const now = Date.now();
  return {
    ...createJob(type, { n: 1 }, {}, now),
    state: 'scheduled',
    attempt: 0,
    runAt: now,
    waitingOn: [],
    errors: [],
    seq: 1,
    createdAt: now,
    updatedAt: now,
    ...change,
  };
}

/** A job pending on `ids`. */
function waiting(...ids: string[]): Job {
  return record({ state: 'pending', dependsOn: ids, waitingOn: ids });
}

function lines(...items: (Job | string)[]): string {
  return items
    .map((item) => `${typeof item === 'string' ? item : JSON.stringify(item)}\n`)
    .join('');
}

/** `gq import` of `stdin` into the store at `data`, `batchSize` jobs a batch. */
function importInto(data: string, stdin: string, batchSize: number) {
  return gq(['import', '--data-dir', data, '--batch-size', String(batchSize)], { stdin });
}

/** Every job of the store at `data`, by id. */
async function storedJobs(data: string): Promise<Map<string, Job>> {
  const store = await LevelStore.open({ location: data, createIfMissing: false });
  try {
    const out = new Map<string, Job>();
    for await (const job of store.scan()) out.set(job.id, job);
    return out;
  } finally {
    await store.close();
  }
}

describe('gq import checks each line against the bounds of a submit', () => {
  it('stops at a job past one, naming its line and field, with nothing of its batch written', async () => {
    const data = dataDir();
    const good = [record(), record(), record(), record()];
    const tags = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    const stdin = lines(good[0]!, good[1]!, good[2]!, record({ tags }), good[3]!);
    const run = await importInto(data, stdin, 2);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `gq: no store at ${data} yet; creating one\ngq: line 4: tags must hold at most 64 tags; got 65; imported 2 new jobs of 2 read (0 already in the store, left as they are) from the lines before its batch, nothing from line 4 on (${AGAIN})\n`,
    });
    expect([...(await storedJobs(data)).keys()]).toEqual([good[0]!.id, good[1]!.id]);
  });

  it('names a value of at most 100 characters', async () => {
    const data = dataDir();
    const run = await importInto(data, lines(record({ queue: `q ${'x'.repeat(5000)}` })), 2);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `gq: no store at ${data} yet; creating one\ngq: line 1: queue must be 1..200 characters of letters, digits and _.:-/; got "q ${'x'.repeat(97)}...; imported 0 new jobs of 0 read (0 already in the store, left as they are) from the lines before its batch, nothing from line 1 on (${AGAIN})\n`,
    );
  });

  it('refuses a line longer than 16 MiB, naming it', async () => {
    const data = dataDir();
    const first = record();
    const long = `{"payload":"${'x'.repeat(MAX_LINE_BYTES)}"}`;
    const run = await importInto(data, lines(first, long, record()), 1);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `gq: no store at ${data} yet; creating one\ngq: line 2: longer than 16777216 bytes, the most a line may hold; imported 1 new job of 1 read (0 already in the store, left as they are) from the lines before its batch, nothing from line 2 on (${AGAIN})\n`,
    );
    expect([...(await storedJobs(data)).keys()]).toEqual([first.id]);
  });
});

describe('gq import and the jobs a pending job waits on', () => {
  it('refuses a job waiting on one neither in the store nor in the import, writing the others', async () => {
    const data = dataDir();
    const absent = uuidv7();
    const [before, after] = [record(), record()];
    const run = await importInto(data, lines(before, waiting(absent), after), 2);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `gq: no store at ${data} yet; creating one\ngq: line 2: waitingOn names job ${absent}, which is neither in the store nor in the import; imported 2 new jobs of 2 read (0 already in the store, left as they are), leaving out the 1 job waiting on jobs not written (${AGAIN})\n`,
    );
    expect([...(await storedJobs(data)).keys()]).toEqual([before.id, after.id]);
  });

  it('writes a job waiting on one stored or on a later line (with it), and a finished one whose dependency is gone', async () => {
    const data = dataDir();
    const stored = record();
    expect((await importInto(data, lines(stored), 1)).code).toBe(0);
    const parent = record({}, 'parent');
    const early = waiting(parent.id);
    const onStored = waiting(stored.id);
    const done = record({
      state: 'completed',
      attempt: 1,
      dependsOn: [uuidv7()],
      startedAt: Date.now(),
      finishedAt: Date.now(),
      result: null,
    });
    const run = await importInto(data, lines(early, onStored, parent, done), 1);
    expect(run).toEqual({
      code: 0,
      stdout:
        'imported 4 new jobs of 4 read (0 already in the store, left as they are) in 3 batches\n',
      stderr: '',
    });
    const jobs = await storedJobs(data);
    expect(jobs.get(early.id)).toMatchObject({ state: 'pending', waitingOn: [parent.id] });
    expect(jobs.get(done.id)).toMatchObject({ state: 'completed' });

    // The job held back waits on its parent in the store as it would have after a submit.
    const store = await LevelStore.open({ location: data, createIfMissing: false });
    try {
      const [claimed] = await store.claim({
        workerId: 'w',
        leaseMs: 60_000,
        limit: 1,
        types: ['parent'],
      });
      expect(claimed?.id).toBe(parent.id);
      await store.complete(parent.id, claimed!.leaseToken!, null);
      expect(await store.get(early.id)).toMatchObject({ state: 'scheduled', waitingOn: [] });
    } finally {
      await store.close();
    }
  });

  it('leaves a job already stored as it is, whatever it waits on', async () => {
    const data = dataDir();
    const kept = waiting(uuidv7());
    const store = await LevelStore.open({ location: data });
    try {
      expect(await store.restore([kept])).toBe(1);
    } finally {
      await store.close();
    }
    expect(await importInto(data, lines(kept), 1)).toEqual({
      code: 0,
      stdout:
        'imported 0 new jobs of 1 read (1 already in the store, left as they are) in 1 batch\n',
      stderr: '',
    });
  });

  it('refuses once more jobs than a batch wait on jobs not read yet', async () => {
    const data = dataDir();
    const absent = uuidv7();
    const first = record();
    const stdin = lines(first, waiting(absent), waiting(absent), waiting(absent), record());
    const run = await importInto(data, stdin, 2);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `gq: no store at ${data} yet; creating one\ngq: line 2: waitingOn names job ${absent}, which is not in the store nor read yet, and more than 2 jobs (--batch-size) wait on jobs not read yet; imported 1 new job of 1 read (0 already in the store, left as they are) from the lines before line 3, leaving out the 3 jobs waiting on jobs not written (${AGAIN})\n`,
    );
    expect([...(await storedJobs(data)).keys()]).toEqual([first.id]);
  });

  it('refuses jobs that wait on each other across batches', async () => {
    const data = dataDir();
    const [a, b] = [uuidv7(), uuidv7()];
    const [one, two] = [record(), record()];
    const stdin = lines({ ...waiting(b), id: a }, one, { ...waiting(a), id: b }, two);
    const run = await importInto(data, stdin, 2);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `gq: no store at ${data} yet; creating one\ngq: line 3: waitingOn names job ${a}, which waits on it in turn (itself or through others); imported 2 new jobs of 2 read (0 already in the store, left as they are), leaving out the 2 jobs waiting on jobs not written (${AGAIN})\n`,
    );
    expect([...(await storedJobs(data)).keys()].sort()).toEqual([one.id, two.id].sort());
  });
});

describe('gq import and gq export refuse the in-memory store', () => {
  it('is a usage error saying which store to use', async () => {
    const use = 'use --store level (with --data-dir) or --store postgres (with --postgres-url)';
    expect(await gq(['import', '--store', 'memory'], { stdin: lines(record()) })).toEqual({
      code: 2,
      stdout: '',
      stderr: `gq: --store memory would write into an in-memory store that is gone when the command ends: ${use}\n`,
    });
    expect(await gq(['export', '--store', 'memory'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `gq: --store memory would read a new, empty in-memory store: ${use}\n`,
    });
  });
});
