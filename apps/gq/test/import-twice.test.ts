import { join } from 'node:path';
import { GopherQueueClient, type WireJob } from '@gopherqueue/api';
import { createJob } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  killAll,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';
import {
  describeWithPostgres,
  dropSchemas,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './helpers/postgres.js';
import { gq } from './helpers/run-cli.js';

let dir: { path: string; remove(): Promise<void> };
/** An export of 7 jobs made in another store: their seqs, 1 to 7, collide with the target's. */
let exported: string;
/** The target's own 7 jobs, with seqs 1 to 7 too, put there by an import before the test's. */
let ownLines: string;
const schemas: string[] = [];

/** Every job of `GET /api/v1/jobs`, following the cursor `limit` at a time. */
async function listAll(server: GqProcess, limit: number): Promise<WireJob[]> {
  const client = new GopherQueueClient({ baseUrl: server.url });
  const jobs: WireJob[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page = await client.list({ limit, ...(cursor === undefined ? {} : { cursor }) });
    jobs.push(...page.jobs);
    cursor = page.next_cursor;
    if (cursor === undefined) return jobs;
  }
  throw new Error('the listing never ended');
}

/**
 * Imports the export twice into a store already holding 7 jobs of its own (`gq import` with
 * `flags`), then lists it through a `gq serve` on it (`dataDir` and `serveFlags`) 3 at a time.
 */
async function importTwiceAndList(
  flags: string[],
  dataDir: string,
  serveFlags: string[],
  createdNotice = '',
): Promise<void> {
  // The first import makes the target store, and says so for a new data directory.
  const own = await gq(['import', ...flags], { stdin: ownLines });
  expect(own.stderr).toBe(createdNotice);

  const first = await gq(['import', ...flags], { stdin: exported });
  expect(first).toEqual({
    code: 0,
    stdout: 'imported 7 new jobs of 7 read (0 already in the store, left as they are) in 1 batch\n',
    stderr: '',
  });
  const second = await gq(['import', ...flags, '--batch-size', '3'], { stdin: exported });
  expect(second).toEqual({
    code: 0,
    stdout:
      'imported 0 new jobs of 7 read (7 already in the store, left as they are) in 3 batches\n',
    stderr: '',
  });

  const server = await spawnServer(dataDir, serveFlags);
  try {
    const listed = await listAll(server, 3);
    const expected = [...idsOf(ownLines), ...idsOf(exported)].sort().reverse();
    expect(listed.map((job) => job.id)).toEqual(expected);
  } finally {
    await stopProcess(server);
  }
}

function idsOf(lines: string): string[] {
  return lines
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

/** Exports 7 jobs of type `type` submitted to a new embedded store at `location`. */
async function exportOf(location: string, type: string): Promise<string> {
  const store = await LevelStore.open({ location });
  try {
    await store.submitBatch(Array.from({ length: 7 }, (_, n) => createJob(type, { n })));
  } finally {
    await store.close();
  }
  const run = await gq(['export', '--data-dir', location]);
  expect(run.code).toBe(0);
  return run.stdout;
}

beforeAll(async () => {
  dir = await tempDir('gq-import-twice-');
  // Made before the target's own jobs, so the imported jobs are the oldest listed.
  exported = await exportOf(join(dir.path, 'source'), 'imported');
  ownLines = await exportOf(join(dir.path, 'own'), 'own');
});

afterAll(async () => {
  await killAll();
  await dropSchemas(schemas);
  await dir?.remove();
});

describe('gq import twice into an embedded store holding jobs', () => {
  it('says 7 new jobs, then 0, and the server lists all 14 once, newest first', async () => {
    const data = join(dir.path, 'target');
    await importTwiceAndList(
      ['--data-dir', data],
      data,
      [],
      `gq: no store at ${data} yet; creating one\n`,
    );
  }, 120_000);
});

describeWithPostgres('gq import twice into PostgreSQL holding jobs', () => {
  it('says 7 new jobs, then 0, and the server lists all 14 once, newest first', async () => {
    const schema = uniqueSchema('gq_import_twice');
    schemas.push(schema);
    const pg = ['--postgres-url', TEST_POSTGRES_URL, '--postgres-schema', schema];
    await importTwiceAndList(['--store', 'postgres', ...pg], join(dir.path, 'unused'), [
      '--store',
      'postgres',
      ...pg,
    ]);
  }, 120_000);
});
