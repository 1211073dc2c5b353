import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
// The application below imports only these two GopherQueue packages (and its own `pg`).
import { createJob, type Job, type Store } from '@gopherqueue/core';
import { LevelStore, PostgresStore } from '@gopherqueue/persistence';
import {
  dropSchemas,
  probeTestDatabase,
  REQUIRE_POSTGRES,
  skipNotice,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './test-database.js';

// ---- The application, as it would be written: the store comes from its configuration. ----

/** Where the application keeps its jobs. */
type QueueConfig =
  | { kind: 'level'; dataDir: string }
  | { kind: 'postgres'; connectionString: string; schema?: string };

/** Opens the store the configuration names. */
async function openStoreFromConfig(config: QueueConfig): Promise<Store> {
  switch (config.kind) {
    case 'level':
      return LevelStore.open({ location: config.dataDir });
    case 'postgres':
      return PostgresStore.open({
        connectionString: config.connectionString,
        ...(config.schema === undefined ? {} : { schema: config.schema }),
      });
  }
}

/**
 * Records a signup and queues its welcome job. On PostgreSQL both happen in the application's own
 * transaction: if it rolls back, the job was never submitted.
 */
async function signUp(
  store: Store,
  db: pg.Pool | undefined,
  n: number,
  commit = true,
): Promise<string> {
  const spec = createJob('app.double', { n }, { tags: { source: 'signup' } });
  if (!(store instanceof PostgresStore) || db === undefined) {
    await store.submit(spec);
    return spec.id;
  }
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO app_signups (n) VALUES ($1)', [n]);
    await store.submit(spec, { client });
    await client.query(commit ? 'COMMIT' : 'ROLLBACK');
    return spec.id;
  } finally {
    client.release();
  }
}

// ---- The test: a real `gq serve` runs what the application submitted. ----

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const GQ_BIN = join(REPO_ROOT, 'apps/gq/bin/gq.js');
const HANDLERS = join(REPO_ROOT, 'apps/gq/test/fixtures/multi-node-handlers.mjs');
const db = await probeTestDatabase();
const children = new Set<ChildProcess>();
let dir: string;
let log: string;
const schemas: string[] = [];

/** Starts `gq serve` with `flags` and resolves once it listens. */
function serve(flags: readonly string[], env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      GQ_BIN,
      'serve',
      '--http',
      '127.0.0.1:0',
      '--handlers',
      HANDLERS,
      '--log-level',
      'error',
      ...flags,
    ],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, GQ_FROM_SOURCE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let out = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  return new Promise((ready, fail) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('listening on')) ready(child);
    });
    child.once('exit', (code) =>
      fail(new Error(`gq serve exited (${code}) before listening:\n${out}`)),
    );
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
  children.delete(child);
}

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function completed(store: Store, id: string): Promise<Job | undefined> {
  const job = await store.get(id);
  return job?.state === 'completed' ? job : undefined;
}

async function ranIds(): Promise<string[]> {
  return (await readFile(log, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[0] as string);
}

const suite = db.available ? describe : REQUIRE_POSTGRES ? describe : describe.skip;
if (!db.available) console.warn(skipNotice(db, 'the used-by tests'));

suite('an application on @gopherqueue/core and @gopherqueue/persistence', () => {
  beforeAll(async () => {
    if (!db.available) throw new Error(skipNotice(db, 'the used-by tests'));
    dir = await mkdtemp(join(tmpdir(), 'gq-used-by-'));
    log = join(dir, 'runs.log');
    await writeFile(log, '');
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    if (db.available) await dropSchemas(schemas);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('submits on PostgreSQL, inside its own transactions, jobs that a gq serve on the same schema runs', async () => {
    const schema = uniqueSchema('gq_used_by');
    schemas.push(schema);
    const config: QueueConfig = { kind: 'postgres', connectionString: TEST_POSTGRES_URL, schema };
    const store = await openStoreFromConfig(config);
    // The application's own database pool, its tables next to the jobs.
    const appDb = new pg.Pool({
      connectionString: TEST_POSTGRES_URL,
      max: 2,
      options: `-c search_path=${schema}`,
    });
    await appDb.query('CREATE TABLE app_signups (n integer NOT NULL)');
    const server = await serve(['--store', 'postgres', '--postgres-url', TEST_POSTGRES_URL], {
      GQ_POSTGRES_SCHEMA: schema,
      GQ_TEST_RUN_LOG: log,
    });
    try {
      const committed = [await signUp(store, appDb, 1), await signUp(store, appDb, 2)];
      const rolledBack = await signUp(store, appDb, 3, false);
      const jobs = await Promise.all(committed.map((id) => until(() => completed(store, id), id)));
      expect(jobs.map((job) => job.result)).toEqual([{ doubled: 2 }, { doubled: 4 }]);
      expect(jobs.every((job) => job.attempt === 1 && job.tags.source === 'signup')).toBe(true);
      expect(await store.get(rolledBack)).toBeUndefined();
      const signups = await appDb.query<{ n: number }>('SELECT n FROM app_signups ORDER BY n');
      expect(signups.rows.map((r) => r.n)).toEqual([1, 2]);
      expect((await ranIds()).sort()).toEqual([...committed].sort());
    } finally {
      await stop(server);
      await appDb.end();
      await store.close();
    }
  }, 120_000);

  it('submits the same way to the embedded store, whose gq serve runs them once the app closes it', async () => {
    const dataDir = join(dir, 'data');
    const store = await openStoreFromConfig({ kind: 'level', dataDir });
    const ids = [await signUp(store, undefined, 10), await signUp(store, undefined, 20)];
    expect((await store.getMany(ids)).map((job) => job?.state)).toEqual(['scheduled', 'scheduled']);
    await store.close();
    await writeFile(log, '');
    const server = await serve(['--data-dir', dataDir], { GQ_TEST_RUN_LOG: log });
    try {
      await until(async () => ((await ranIds()).length === 2 ? true : undefined), 'both jobs ran');
    } finally {
      await stop(server);
    }
    const reopened = await openStoreFromConfig({ kind: 'level', dataDir });
    try {
      const jobs = (await reopened.getMany(ids)) as Job[];
      expect(jobs.map((job) => [job.state, job.result])).toEqual([
        ['completed', { doubled: 20 }],
        ['completed', { doubled: 40 }],
      ]);
    } finally {
      await reopened.close();
    }
  }, 120_000);
});
