import type { Store } from '@gopherqueue/core';
import { PostgresStore } from '@gopherqueue/persistence';
import {
  dropSchemas,
  probeTestDatabase,
  uniqueSchema,
} from '../packages/persistence/src/postgres/test-database.js';

/** The database of the PostgreSQL rows: GQ_BENCH_POSTGRES_URL, else the tests' database. */
export const BENCH_POSTGRES_URL =
  process.env.GQ_BENCH_POSTGRES_URL ?? process.env.GQ_TEST_POSTGRES_URL;

/** A store of a bench and how to close it (and drop what it made). */
export interface OpenedStore {
  store: Store;
  close(): Promise<void>;
}

/** Whether the PostgreSQL rows can run; says on stderr why not when they cannot. */
export async function postgresReachable(bench: string): Promise<boolean> {
  const db = await probeTestDatabase();
  if (!db.available && BENCH_POSTGRES_URL === undefined) {
    console.error(`${bench} bench on postgres skipped: ${db.url} is unreachable`);
    return false;
  }
  return true;
}

/** A PostgresStore in a schema of its own (`prefix` and a random part), dropped at close. */
export async function openBenchPostgres(prefix: string): Promise<OpenedStore> {
  const schema = uniqueSchema(prefix);
  let store: PostgresStore;
  try {
    store = await PostgresStore.open({
      ...(BENCH_POSTGRES_URL === undefined ? {} : { connectionString: BENCH_POSTGRES_URL }),
      schema,
      poolSize: 8,
    });
  } catch (err) {
    await dropSchemas([schema]);
    throw err;
  }
  return {
    store,
    close: async () => {
      try {
        await store.close();
      } finally {
        await dropSchemas([schema]);
      }
    },
  };
}
