import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { quoteIdent } from './migrations.js';
import { PostgresStore } from './postgres-store.js';

/** The database the PostgreSQL tests use. */
export const TEST_POSTGRES_URL =
  process.env.GQ_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether the test database answers, and if not, why. */
export interface TestDatabase {
  available: boolean;
  url: string;
  reason?: string;
}

/**
 * Probes {@link TEST_POSTGRES_URL}. Tests call it once at load: with `CI=true` an unreachable
 * database fails the run; elsewhere the tests are skipped with a notice saying how to enable them.
 */
export async function probeTestDatabase(): Promise<TestDatabase> {
  const client = new pg.Client({
    connectionString: TEST_POSTGRES_URL,
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { available: true, url: TEST_POSTGRES_URL };
  } catch (err) {
    return { available: false, url: TEST_POSTGRES_URL, reason: (err as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** What to print when the tests cannot run. */
export function skipNotice(db: TestDatabase, what: string): string {
  return (
    `PostgreSQL is not reachable at ${db.url} (${db.reason ?? 'unknown error'}): skipping ${what}. ` +
    `Start PostgreSQL or set GQ_TEST_POSTGRES_URL=postgres://user@host:port/db to run them ` +
    `(with CI=true they fail instead).`
  );
}

/** True when an unreachable database must fail the run rather than skip it. */
export const REQUIRE_POSTGRES = process.env.CI === 'true';

/** A schema name no other test uses, so test files can run in parallel and drop their own. */
export function uniqueSchema(prefix = 'gq_test'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Drops `schemas` (and everything in them). */
export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Whether `schema` holds a `jobs` table (a store was opened on it). */
export async function hasJobsTable(schema: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
      `"${schema}".jobs`,
    ]);
    return rows[0]?.t !== null && rows[0]?.t !== undefined;
  } finally {
    await client.end();
  }
}

/** Runs one statement on the test database, as a test that plants rows the way another version wrote them. */
export async function runSql(text: string, values: unknown[] = []): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const result = await client.query(text, values);
    return result.rowCount ?? 0;
  } finally {
    await client.end();
  }
}

/** What {@link withTestStore} gives a test. */
export interface StoreFixture {
  store: PostgresStore;
  /** The schema's name, quoted for SQL. */
  s: string;
  /** A client of the test's own, outside the store's pool. */
  client: pg.Client;
}

/** Runs `fn` with a store on `schema` (a pool of 2) and a client of its own, both closed after. */
export async function withTestStore(
  schema: string,
  fn: (fixture: StoreFixture) => Promise<void>,
): Promise<void> {
  const store = await PostgresStore.open({
    connectionString: TEST_POSTGRES_URL,
    schema,
    poolSize: 2,
  });
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await fn({ store, s: quoteIdent(schema), client });
  } finally {
    await client.end();
    await store.close();
  }
}
