import { join } from 'node:path';
import { GopherQueueClient, type WireJob } from '@gopherqueue/api';
import { PostgresStore } from '@gopherqueue/persistence';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  spawnGq,
  spawnServer,
  stopProcess,
  tempDir,
} from './helpers/gq-process.js';
import {
  describeWithPostgres,
  dropSchemas,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './helpers/postgres.js';
import { runExample } from './helpers/run-example.js';

/** The handlers module, named as examples/README.md names it (gq runs from the repository root). */
const HANDLERS = 'examples/handlers.js';

let dir: { path: string; remove(): Promise<void> };
const schemas: string[] = [];

beforeAll(async () => {
  dir = await tempDir('gq-examples-');
});

afterAll(async () => {
  await killAll();
  await dropSchemas(schemas);
  await dir?.remove();
});

/** Waits until job `id` finished and returns it. */
async function finished(client: GopherQueueClient, id: string): Promise<WireJob> {
  return eventually(async () => {
    const wait = await client.wait(id, '10s');
    return wait.completed ? client.get(id) : undefined;
  }, `job ${id} to finish`);
}

/** The jobs a producer run printed, as [verb, type, id, state]. */
function queuedLines(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => {
      const match = /^(queued|already queued) (\S+) (\S+) (\S+)$/.exec(line);
      if (match === null) throw new Error(`unexpected producer line: ${line}`);
      return match.slice(1);
    });
}

/** 0 + 1 + ... + (rows - 1), what `report.build` adds up. */
const sumBelow = (rows: number): number => (rows * (rows - 1)) / 2;

describe('examples/handlers.js', () => {
  it('runs under gq serve --handlers: a result, a checkpointed report, an immediate permanent failure', async () => {
    const server = await spawnServer(join(dir.path, 'handlers'), ['--handlers', HANDLERS]);
    const client = new GopherQueueClient({ baseUrl: server.url });
    const email = await client.submit('welcome.email', { email: 'ada@example.com' });
    const report = await client.submit('report.build', { rows: 2500 });
    const bad = await client.submit('welcome.email', { email: 'nobody' }, { maxAttempts: 3 });

    const sent = await finished(client, email.id);
    expect([sent.state, sent.attempt, sent.result]).toEqual([
      'completed',
      1,
      { to: 'ada@example.com', subject: 'Welcome to GopherQueue' },
    ]);
    const built = await finished(client, report.id);
    expect([built.state, built.progress, built.checkpoint, built.result]).toEqual([
      'completed',
      100,
      { done: 2500, total: sumBelow(2500) },
      { rows: 2500, total: sumBelow(2500), resumedFrom: 0, emails: [] },
    ]);
    const failed = await finished(client, bad.id);
    expect([failed.state, failed.attempt, failed.errors.map((e) => [e.class, e.message])]).toEqual([
      'failed',
      1,
      [['permanent', 'not an email address: "nobody"']],
    ]);
    expect(await stopProcess(server)).toEqual({ code: 0, signal: null });
  });
});

describe('examples/producer.ts', () => {
  it('queues on the embedded store, queues nothing twice, and gq serve with the handlers runs the jobs', async () => {
    const dataDir = join(dir.path, 'producer');
    const env = { GQ_DATA_DIR: dataDir };
    const emails = ['ada@example.com', 'grace@example.com'];

    const first = await runExample('producer.ts', emails, env);
    expect([first.code, first.stderr]).toEqual([0, '']);
    const queued = queuedLines(first.stdout);
    expect(queued.map(([verb, type, , state]) => [verb, type, state])).toEqual([
      ['queued', 'welcome.email', 'scheduled'],
      ['queued', 'welcome.email', 'scheduled'],
      ['queued', 'report.build', 'pending'],
    ]);
    const again = await runExample('producer.ts', emails, env);
    expect(again.code).toBe(0);
    expect(queuedLines(again.stdout)).toEqual(
      queued.map(([, type, id, state]) => ['already queued', type, id, state]),
    );

    const server = await spawnServer(dataDir, ['--handlers', HANDLERS]);
    const client = new GopherQueueClient({ baseUrl: server.url });
    const reportId = queued[2]?.[2] as string;
    const report = await finished(client, reportId);
    expect([report.state, report.result]).toEqual([
      'completed',
      { rows: 10_000, total: sumBelow(10_000), resumedFrom: 0, emails },
    ]);
    const sent = await Promise.all(queued.slice(0, 2).map(([, , id]) => client.get(id as string)));
    expect(sent.map((job) => [job.state, job.result])).toEqual(
      emails.map((to) => ['completed', { to, subject: 'Welcome to GopherQueue' }]),
    );
    await stopProcess(server);
  });

  it('refuses an unknown GQ_STORE with a one-line message and exit code 1', async () => {
    const run = await runExample('producer.ts', ['ada@example.com'], { GQ_STORE: 'redis' });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'producer: GQ_STORE must be level or postgres, got redis\n',
    });
  });
});

describe('the gq work example (examples/README.md)', () => {
  it('runs the handlers in a gq work process against a gq serve that has none', async () => {
    const server = await spawnServer(join(dir.path, 'work'), ['--unknown-types', 'leave']);
    const worker = await spawnGq(
      [
        'work',
        '--server',
        server.url,
        '--handlers',
        HANDLERS,
        '--concurrency',
        '4',
        '--log-format',
        'json',
      ],
      { ready: /gq work pulling .*\n/ },
    );
    expect(worker.url).toBe(
      `gq work pulling welcome.email, report.build from ${server.url} (4 at once)\n`,
    );
    const client = new GopherQueueClient({ baseUrl: server.url });
    const email = await client.submit('welcome.email', { email: 'ada@example.com' });
    const report = await client.submit('report.build', { rows: 1500 }, { dependsOn: [email.id] });

    const built = await finished(client, report.id);
    expect([built.state, built.result]).toEqual([
      'completed',
      { rows: 1500, total: sumBelow(1500), resumedFrom: 0, emails: ['ada@example.com'] },
    ]);
    const sent = await client.get(email.id);
    expect(sent.state).toBe('completed');
    // The handler's own log line comes from the worker process: the server has no handler.
    const logged = (worker.stdout() + worker.stderr())
      .split('\n')
      .filter((line) => line.includes('sending welcome email'))
      .map((line) => JSON.parse(line) as { jobId: string; email: string });
    expect(logged.map(({ jobId, email }) => [jobId, email])).toEqual([
      [email.id, 'ada@example.com'],
    ]);
    expect(await stopProcess(worker)).toEqual({ code: 0, signal: null });
    await stopProcess(server);
  });
});

describeWithPostgres('examples on PostgreSQL', () => {
  it('producer.ts queues on PostgreSQL while a gq serve on the same schema runs the jobs', async () => {
    const schema = uniqueSchema('gq_example_producer');
    schemas.push(schema);
    const server = await spawnServer(join(dir.path, 'unused'), [
      '--store',
      'postgres',
      '--postgres-url',
      TEST_POSTGRES_URL,
      '--postgres-schema',
      schema,
      '--handlers',
      HANDLERS,
    ]);
    const run = await runExample('producer.ts', ['ada@example.com'], {
      GQ_STORE: 'postgres',
      DATABASE_URL: TEST_POSTGRES_URL,
      GQ_POSTGRES_SCHEMA: schema,
    });
    expect([run.code, run.stderr]).toEqual([0, '']);
    const queued = queuedLines(run.stdout);
    expect(queued.map(([verb, type]) => [verb, type])).toEqual([
      ['queued', 'welcome.email'],
      ['queued', 'report.build'],
    ]);
    const client = new GopherQueueClient({ baseUrl: server.url });
    const report = await finished(client, queued[1]?.[2] as string);
    expect([report.state, report.result]).toEqual([
      'completed',
      { rows: 10_000, total: sumBelow(10_000), resumedFrom: 0, emails: ['ada@example.com'] },
    ]);
    await stopProcess(server);
  });

  it('transactional-submit.ts keeps a job if and only if its signup committed', async () => {
    const schema = uniqueSchema('gq_example_tx');
    schemas.push(schema);
    // The example's own table goes to the connection's default schema: the test's schema here.
    const env = {
      DATABASE_URL: TEST_POSTGRES_URL,
      GQ_POSTGRES_SCHEMA: schema,
      PGOPTIONS: `-c search_path=${schema}`,
    };
    const first = await runExample(
      'transactional-submit.ts',
      ['ada@example.com', 'grace@example.com'],
      env,
    );
    expect([first.code, first.stderr]).toEqual([0, '']);
    const second = await runExample(
      'transactional-submit.ts',
      ['grace@example.com', 'alan@example.com'],
      env,
    );
    expect([second.code, second.stderr]).toEqual([0, '']);
    const lines = [...first.stdout.trimEnd().split('\n'), ...second.stdout.trimEnd().split('\n')];
    expect(lines.map((line) => line.replace(/ [0-9a-f-]{36}$/, ' <id>'))).toEqual([
      'signed up ada@example.com: queued welcome.email <id>',
      'signed up grace@example.com: queued welcome.email <id>',
      'grace@example.com had signed up already: rolled back, nothing queued',
      'signed up alan@example.com: queued welcome.email <id>',
    ]);

    const store = await PostgresStore.open({
      connectionString: TEST_POSTGRES_URL,
      schema,
      listen: false,
      poolSize: 1,
    });
    const db = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await db.connect();
    try {
      const { jobs } = await store.list({ type: 'welcome.email' });
      const { rows } = await db.query<{ email: string; welcome_job_id: string }>(
        `SELECT email, welcome_job_id FROM "${schema}".signups ORDER BY email`,
      );
      // Three signups, three jobs, each signup naming its own job: grace's second job rolled back.
      expect(rows.map((row) => row.email)).toEqual([
        'ada@example.com',
        'alan@example.com',
        'grace@example.com',
      ]);
      const emailOf = new Map(
        jobs.map((job) => [job.id, (job.payload as { email: string }).email]),
      );
      expect(jobs).toHaveLength(3);
      expect(rows.map((row) => emailOf.get(row.welcome_job_id))).toEqual(rows.map((r) => r.email));
      expect(
        lines
          .filter((l) => l.startsWith('signed up'))
          .map((l) => l.slice(-36))
          .sort(),
      ).toEqual(jobs.map((job) => job.id).sort());
    } finally {
      await db.end();
      await store.close();
    }
  });
});
