// A transactional submit on PostgreSQL: the application writes its own row and queues a job in
// one transaction of its own, so the job exists if and only if the row does. No job for a signup
// that rolled back, no signup without its job, whatever crashes in between.
//
//   DATABASE_URL=postgres://user@host:5432/db node --import tsx transactional-submit.ts ada@example.com
//
// The jobs go to the schema `gopherqueue` (or GQ_POSTGRES_SCHEMA), where a
// `gq serve --store postgres --postgres-url $DATABASE_URL --handlers examples/handlers.js` runs them.
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { createJob, type Job } from '@gopherqueue/core';
import { PostgresStore } from '@gopherqueue/persistence';

/** The application's own table: one row per signup, with the id of its welcome job. */
export async function createSignupsTable(db: pg.Pool): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS signups (
    email text PRIMARY KEY,
    welcome_job_id text NOT NULL,
    signed_up_at timestamptz NOT NULL DEFAULT now()
  )`);
}

/**
 * Signs `email` up and queues its welcome email in one transaction. Returns the job, or undefined
 * when the address had signed up before: the insert fails, the transaction rolls back, and the job
 * submitted a moment earlier in it is gone with it.
 */
export async function signUp(
  db: pg.Pool,
  store: PostgresStore,
  email: string,
): Promise<Job | undefined> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    // `{ client }` writes the job in this transaction; gq serve nodes hear of it on COMMIT.
    const { job } = await store.submit(createJob('welcome.email', { email }), { client });
    await client.query('INSERT INTO signups (email, welcome_job_id) VALUES ($1, $2)', [
      email,
      job.id,
    ]);
    await client.query('COMMIT');
    return job;
  } catch (err) {
    await client.query('ROLLBACK');
    if ((err as { code?: unknown }).code === '23505') return undefined; // unique_violation
    throw err;
  } finally {
    client.release();
  }
}

async function main(emails: readonly string[]): Promise<void> {
  if (emails.length === 0) throw new Error('usage: transactional-submit.ts EMAIL...');
  // The application's own pool; the store shares it (and never ends it).
  const db = new pg.Pool({ connectionString: process.env.DATABASE_URL });
  try {
    // Creates and migrates the schema `gopherqueue` (or GQ_POSTGRES_SCHEMA) on first use.
    const store = await PostgresStore.open({ pool: db, listen: false });
    try {
      await createSignupsTable(db);
      for (const email of emails) {
        const job = await signUp(db, store, email);
        console.log(
          job === undefined
            ? `${email} had signed up already: rolled back, nothing queued`
            : `signed up ${email}: queued ${job.type} ${job.id}`,
        );
      }
    } finally {
      await store.close();
    }
  } finally {
    await db.end();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`transactional-submit: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
