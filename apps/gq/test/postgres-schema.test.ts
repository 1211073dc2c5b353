import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJob, type Job } from '@gopherqueue/core';
import { LevelStore, PostgresStore } from '@gopherqueue/persistence';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gq } from './helpers/run-cli.js';
import {
  describeWithPostgres,
  dropSchemas,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './helpers/postgres.js';
import { hasJobsTable } from '../../../packages/persistence/src/postgres/test-database.js';

const schemas: string[] = [];
/** Two jobs as `gq export` writes them. */
let lines: string;
let jobs: Job[];

function schema(prefix: string): string {
  const name = uniqueSchema(prefix);
  schemas.push(name);
  return name;
}

/** The jobs of `gq export`'s output. */
function parseLines(text: string): Job[] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Job);
}

async function readAll(name: string): Promise<Job[]> {
  const store = await PostgresStore.open({
    connectionString: TEST_POSTGRES_URL,
    schema: name,
    poolSize: 1,
  });
  try {
    const all: Job[] = [];
    for await (const job of store.scan()) all.push(job);
    return all;
  } finally {
    await store.close();
  }
}

describeWithPostgres('--postgres-schema', () => {
  beforeAll(async () => {
    const store = await LevelStore.open({ memory: true });
    try {
      await store.submitBatch([createJob('a', { n: 1 }), createJob('b', { n: 2 })]);
      jobs = [];
      for await (const job of store.scan()) jobs.push(job);
    } finally {
      await store.close();
    }
    lines = jobs.map((job) => `${JSON.stringify(job)}\n`).join('');
  });

  afterAll(async () => {
    await dropSchemas(schemas);
  });

  it('puts gq import and gq export on the named schema, and only there', async () => {
    const target = schema('gq_flag_import');
    const other = schema('gq_flag_other');
    const pgFlags = ['--store', 'postgres', '--postgres-url', TEST_POSTGRES_URL];

    const imported = await gq(['import', ...pgFlags, '--postgres-schema', target], {
      stdin: lines,
    });
    expect(imported).toEqual({
      code: 0,
      stdout:
        'imported 2 new jobs of 2 read (0 already in the store, left as they are) in 1 batch\n',
      stderr: '',
    });
    expect(await readAll(target)).toEqual(jobs);

    const exported = await gq(['export', ...pgFlags, '--postgres-schema', target]);
    expect(exported.stderr).toBe('exported 2 jobs\n');
    expect(parseLines(exported.stdout)).toEqual(jobs);
    // GQ_POSTGRES_SCHEMA of the command's environment is the default; the flag wins over it.
    const fromEnv = await gq(['export', ...pgFlags], { env: { GQ_POSTGRES_SCHEMA: target } });
    expect(parseLines(fromEnv.stdout)).toEqual(jobs);
    // (Where the flag names a schema without a store, export says so and creates nothing.)
    const flagWins = await gq(['export', ...pgFlags, '--postgres-schema', other], {
      env: { GQ_POSTGRES_SCHEMA: target },
    });
    expect(flagWins.code).toBe(1);
    expect(flagWins.stderr).toMatch(new RegExp(`^gq: no store in schema ${other} at `));
    expect(await hasJobsTable(other)).toBe(false);
  });

  it('copies into the named schema with gq migrate', async () => {
    const target = schema('gq_flag_migrate');
    const dir = await mkdtemp(join(tmpdir(), 'gq-flag-migrate-'));
    try {
      const level = await LevelStore.open({ location: join(dir, 'data') });
      await level.restore(jobs);
      await level.close();
      const run = await gq([
        'migrate',
        '--from-data-dir',
        join(dir, 'data'),
        '--to-postgres-url',
        TEST_POSTGRES_URL,
        '--postgres-schema',
        target,
      ]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(await readAll(target)).toEqual(jobs);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the keys of gq keys --postgres-url in the named schema', async () => {
    const target = schema('gq_flag_keys');
    const other = schema('gq_flag_nokeys');
    const local = ['--postgres-url', TEST_POSTGRES_URL, '--json'];
    const created = await gq([
      'keys',
      'create',
      '--role',
      'admin',
      ...local,
      '--postgres-schema',
      target,
    ]);
    expect(created.code).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: string };
    const listed = await gq(['keys', 'list', ...local, '--postgres-schema', target]);
    expect((JSON.parse(listed.stdout) as { keys: { id: string }[] }).keys.map((k) => k.id)).toEqual(
      [id],
    );
    const elsewhere = await gq(['keys', 'list', ...local, '--postgres-schema', other]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(new RegExp(`^gq: no store in schema ${other} at `));
  });

  it('serves from the named schema and says so', async () => {
    const target = schema('gq_flag_serve');
    const run = await gq(
      [
        'serve',
        '--store',
        'postgres',
        '--postgres-url',
        TEST_POSTGRES_URL,
        '--postgres-schema',
        target,
        '--http',
        '127.0.0.1:0',
        '--log-level',
        'error',
      ],
      {
        onStdout: (text, stop) => {
          if (text.includes('listening on')) stop();
        },
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`\\(store postgres schema ${target}, 10 workers, auth protected\\)\\n$`),
    );
    expect(await hasJobsTable(target)).toBe(true);
  });

  it('refuses a schema that is not a lower-case SQL identifier with a usage error', async () => {
    const run = await gq([
      'export',
      '--store',
      'postgres',
      '--postgres-url',
      TEST_POSTGRES_URL,
      '--postgres-schema',
      'Team-A',
    ]);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'gq: --postgres-schema must be a lower-case SQL identifier (a-z, 0-9, _; at most 63); got "Team-A"\n',
    });
  });
});
