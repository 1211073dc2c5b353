// A producer: an application that queues jobs with only @gopherqueue/core and
// @gopherqueue/persistence. It picks the store from its configuration (environment variables
// here), and a `gq serve --handlers examples/handlers.js` on the same store runs the jobs.
//
//   GQ_DATA_DIR=./data node --import tsx producer.ts ada@example.com grace@example.com
//   GQ_STORE=postgres DATABASE_URL=postgres://... node --import tsx producer.ts ada@example.com
//
// The embedded store belongs to one process at a time: run the producer, then `gq serve
// --data-dir ./data`. On PostgreSQL both run at once, on as many machines as you like.
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { createJob, type Job, type Store } from '@gopherqueue/core';
import { LevelStore, PostgresStore } from '@gopherqueue/persistence';

/** Where the application keeps its jobs. */
export type QueueConfig =
  | { kind: 'level'; dataDir: string }
  | { kind: 'postgres'; connectionString: string; schema?: string };

/**
 * Reads the configuration: `GQ_STORE` (`level`, the default, or `postgres`), `GQ_DATA_DIR`
 * (default `./data`), `DATABASE_URL` and `GQ_POSTGRES_SCHEMA` (default `gopherqueue`).
 */
export function queueConfigFromEnv(env: NodeJS.ProcessEnv = process.env): QueueConfig {
  const kind = env.GQ_STORE ?? 'level';
  if (kind === 'level') return { kind, dataDir: env.GQ_DATA_DIR ?? './data' };
  if (kind !== 'postgres') throw new Error(`GQ_STORE must be level or postgres, got ${kind}`);
  const connectionString = env.DATABASE_URL;
  if (connectionString === undefined || connectionString === '') {
    throw new Error('GQ_STORE=postgres needs DATABASE_URL=postgres://user@host:5432/db');
  }
  const schema = env.GQ_POSTGRES_SCHEMA;
  return schema === undefined ? { kind, connectionString } : { kind, connectionString, schema };
}

/** Opens the store the configuration names. */
export async function openStoreFromConfig(config: QueueConfig): Promise<Store> {
  switch (config.kind) {
    case 'level':
      return LevelStore.open({ location: config.dataDir });
    case 'postgres':
      // A producer never waits for other processes' changes, so it needs no LISTEN connection.
      return PostgresStore.open({
        connectionString: config.connectionString,
        ...(config.schema === undefined ? {} : { schema: config.schema }),
        listen: false,
      });
  }
}

/** What {@link produce} queued: each job, and whether an earlier run had already queued it. */
export interface Queued {
  job: Job;
  deduplicated: boolean;
}

/**
 * Queues a welcome email per address and one report that waits for all of them. Idempotency keys
 * make a second run with the same addresses queue nothing new: it gets the stored jobs back.
 */
export async function produce(store: Store, emails: readonly string[]): Promise<Queued[]> {
  const queued: Queued[] = [];
  for (const email of emails) {
    const spec = createJob(
      'welcome.email',
      { email },
      { idempotencyKey: `welcome:${email}`, maxAttempts: 5, backoff: { initial: '2s' } },
    );
    // submit() resolves once the job is stored durably, with the stored job.
    const { job, deduplicated } = await store.submit(spec);
    queued.push({ job, deduplicated });
  }
  const report = createJob(
    'report.build',
    { rows: 10_000 },
    {
      priority: 'low',
      dependsOn: queued.map(({ job }) => job.id),
      idempotencyKey: `report:${emails.join(',')}`,
      timeout: '5m',
    },
  );
  queued.push(await store.submit(report));
  return queued;
}

async function main(emails: readonly string[]): Promise<void> {
  if (emails.length === 0) throw new Error('usage: producer.ts EMAIL...');
  const store = await openStoreFromConfig(queueConfigFromEnv());
  try {
    for (const { job, deduplicated } of await produce(store, emails)) {
      console.log(
        `${deduplicated ? 'already queued' : 'queued'} ${job.type} ${job.id} ${job.state}`,
      );
    }
  } finally {
    await store.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`producer: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
