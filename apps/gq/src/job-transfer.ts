import type { Job, Store } from '@gopherqueue/core';
import type { Argv } from 'yargs';
import type { CliIo } from './cli-io.js';
import { CliError, UsageError } from './cli-error.js';
import {
  openStore,
  postgresSchemaOption,
  type OpenStoreOptions,
  type StoreKind,
} from './open-store.js';
import { postgresSchemaFlag } from './parse-flags.js';

/** Jobs per `store.restore()` call of an import or migration. */
export const DEFAULT_BATCH_SIZE = 500;

/** The store flags of `gq export` and `gq import`. */
export interface StoreArgs {
  store: StoreKind | undefined;
  dataDir: string;
  postgresUrl: string | undefined;
  /** Already defaulted by yargs (`GQ_POSTGRES_SCHEMA`, else `gopherqueue`). */
  postgresSchema: string;
}

/**
 * Adds the store flags of `gq export` and `gq import`; `verb` says what the command does to it.
 * `--store memory` is a usage error: the store would be a new one, gone when the command ends, so
 * an import would keep nothing and an export would read nothing.
 */
export function storeFlags<T>(args: Argv<T>, io: CliIo, verb: 'read' | 'write') {
  return args
    .option('store', {
      type: 'string',
      choices: ['level', 'postgres'] satisfies StoreKind[],
      describe: `Store to ${verb} (default level, or postgres with --postgres-url)`,
    })
    .middleware((argv) => {
      // Not among the choices, so yargs' own check would refuse it without saying why.
      if ((argv.store as unknown) !== 'memory') return;
      const what =
        verb === 'write'
          ? 'write into an in-memory store that is gone when the command ends'
          : 'read a new, empty in-memory store';
      throw new UsageError(
        `--store memory would ${what}: use --store level (with --data-dir) or --store postgres (with --postgres-url)`,
      );
    }, true)
    .option('data-dir', {
      type: 'string',
      default: './data',
      describe: 'Embedded store directory (the server must be stopped)',
    })
    .option('postgres-url', {
      type: 'string',
      default: io.env.GQ_POSTGRES_URL,
      defaultDescription: '$GQ_POSTGRES_URL',
      describe: 'PostgreSQL connection string for --store postgres',
    })
    .option('postgres-schema', postgresSchemaOption(io.env));
}

/**
 * The store the flags name: `--store`, else postgres when `--postgres-url` is given, else level.
 * `create` says whether a missing store is created (see {@link OpenStoreOptions}).
 */
export function storeOptions(
  args: StoreArgs,
  cwd: string,
  create: Pick<OpenStoreOptions, 'createIfMissing' | 'onCreate'>,
): OpenStoreOptions {
  const kind = args.store ?? (args.postgresUrl === undefined ? 'level' : 'postgres');
  return {
    kind,
    dataDir: args.dataDir,
    cwd,
    ...create,
    ...(args.postgresUrl === undefined ? {} : { postgresUrl: args.postgresUrl }),
    ...(kind === 'postgres' ? { postgresSchema: postgresSchemaFlag(args.postgresSchema) } : {}),
  };
}

/** Opens a store with {@link openStore}, runs `fn` on it, and closes it whatever happens. */
export async function withStore<T>(
  options: OpenStoreOptions,
  fn: (store: Store) => Promise<T>,
): Promise<T> {
  const store = await openStore(options);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** How far a copy got: jobs read, jobs new to the target and written, and the batches. */
export interface CopyProgress {
  read: number;
  written: number;
  batches: number;
}

/** `"45 new jobs of 47 read (2 already in <where>, left as they are)"`. */
export function describeCopy(progress: CopyProgress, where: string): string {
  const { read, written } = progress;
  return `${written} new job${written === 1 ? '' : 's'} of ${read} read (${read - written} already in ${where}, left as they are)`;
}

/**
 * Writes `jobs` into `target` with `store.restore()`, `batchSize` at a time. A batch is written
 * only once all its jobs were read (and, for an import, validated), so an error while reading
 * leaves the batches before it written and nothing of its own. The store writes only the jobs it
 * does not hold yet (by id, or by idempotency key in the job's queue), each with a fresh `seq`,
 * and leaves the rest as they are: copying the same jobs twice writes nothing the second time.
 * `prepare`, when given, turns each batch read into the jobs to write (an import holds back a
 * job that waits on one not read yet, and writes it with that one); an error it throws stops the
 * copy with nothing of the batch written. `progress` is updated after every batch written (`read`
 * counts the jobs given to the store), so a caller can report how far it got.
 */
export async function restoreInBatches(
  target: Store,
  jobs: AsyncIterable<Job>,
  batchSize: number,
  progress: CopyProgress = { read: 0, written: 0, batches: 0 },
  prepare?: (batch: Job[]) => Promise<Job[]>,
): Promise<CopyProgress> {
  let batch: Job[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const read = batch;
    batch = [];
    const jobsOfBatch = prepare === undefined ? read : await prepare(read);
    if (jobsOfBatch.length === 0) return;
    let written: number;
    try {
      written = await target.restore(jobsOfBatch);
    } catch (err) {
      throw new CliError(
        `writing jobs failed after ${progress.written} were written: ${(err as Error).message}`,
        1,
        { cause: err },
      );
    }
    progress.read += jobsOfBatch.length;
    progress.written += written;
    progress.batches++;
  };
  for await (const job of jobs) {
    batch.push(job);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return progress;
}
