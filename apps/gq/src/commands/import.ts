import { createInterface } from 'node:readline';
import type { Job } from '@gopherqueue/core';
import type { CommandModule } from 'yargs';
import { CliError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { JobLineError, parseJobLine } from '../job-ndjson.js';
import {
  DEFAULT_BATCH_SIZE,
  describeCopy,
  restoreInBatches,
  storeFlags,
  storeOptions,
  withStore,
  type CopyProgress,
  type StoreArgs,
} from '../job-transfer.js';
import { MAX_IMPORT_BATCH, positiveIntFlag } from '../parse-flags.js';

interface ImportArgs extends StoreArgs {
  batchSize: number;
}

/** The jobs of an NDJSON stream, in order; blank lines are skipped. */
async function* readJobs(io: CliIo): AsyncIterable<Job> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    yield parseJobLine(text, line);
  }
}

/**
 * `gq import`: reads jobs as `gq export` writes them from standard input and writes those the
 * store does not hold yet as they are (same ids, states, attempts, timestamps, results, errors;
 * a fresh `seq`), leaving a job already stored as it is, so running it twice writes nothing the
 * second time; it says how many jobs were new. Each batch is validated before it is written: a
 * bad line stops the import, naming it, with only the batches before it written.
 */
export function importCommand(io: CliIo): CommandModule<object, ImportArgs> {
  return {
    command: 'import',
    describe: 'Write the jobs of an NDJSON export (standard input) into a store',
    builder: (args) =>
      storeFlags(args, io, 'write')
        .option('batch-size', {
          type: 'number',
          default: DEFAULT_BATCH_SIZE,
          describe: 'Jobs written per transaction',
        })
        .example(
          '$0 import --store postgres --postgres-url postgres://host/db < jobs.ndjson',
          'move an export into PostgreSQL',
        ) as never,
    handler: async (args) => {
      const batchSize = positiveIntFlag('batch-size', args.batchSize, MAX_IMPORT_BATCH);
      const progress: CopyProgress = { read: 0, written: 0, batches: 0 };
      const create = {
        onCreate: (dataDir: string) => io.stderr(`gq: no store at ${dataDir} yet; creating one\n`),
      };
      await withStore(storeOptions(args, io.cwd, create), async (store) => {
        try {
          await restoreInBatches(store, readJobs(io), batchSize, progress);
        } catch (err) {
          if (err instanceof JobLineError) {
            throw new CliError(
              `${err.message}; imported ${describeCopy(progress, 'the store')} from the lines before its batch, nothing from line ${err.line} on (import leaves jobs already stored as they are, so fix the line and run it again)`,
              1,
              { cause: err },
            );
          }
          throw err;
        }
      });
      io.stdout(
        `imported ${describeCopy(progress, 'the store')} in ${progress.batches} batch${progress.batches === 1 ? '' : 'es'}\n`,
      );
    },
  };
}
