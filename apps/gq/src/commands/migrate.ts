import type { CommandModule } from 'yargs';
import type { CliIo } from '../cli-io.js';
import { DEFAULT_BATCH_SIZE, describeCopy, restoreInBatches, withStore } from '../job-transfer.js';
import { postgresSchemaOption } from '../open-store.js';
import { positiveIntFlag, postgresSchemaFlag } from '../parse-flags.js';

interface MigrateArgs {
  fromDataDir: string;
  toPostgresUrl: string;
  postgresSchema: string;
  batchSize: number;
}

/**
 * `gq migrate`: `gq export` piped into `gq import` in one command, from a stopped embedded store
 * to PostgreSQL. Safe to run again: jobs already in PostgreSQL are left as they are, and it says
 * how many jobs were new.
 */
export function migrateCommand(io: CliIo): CommandModule<object, MigrateArgs> {
  return {
    command: 'migrate',
    describe: 'Copy every job of a stopped embedded store into PostgreSQL',
    builder: (args) =>
      args
        .option('from-data-dir', {
          type: 'string',
          default: './data',
          describe: 'Embedded store directory to read (the server must be stopped)',
        })
        .option('to-postgres-url', {
          type: 'string',
          demandOption: true,
          describe: 'PostgreSQL connection string to write to',
        })
        .option('postgres-schema', postgresSchemaOption(io.env))
        .option('batch-size', {
          type: 'number',
          default: DEFAULT_BATCH_SIZE,
          describe: 'Jobs written per transaction',
        }) as never,
    handler: async (args) => {
      const batchSize = positiveIntFlag('batch-size', args.batchSize);
      const postgresSchema = postgresSchemaFlag(args.postgresSchema);
      const progress = await withStore(
        { kind: 'level', dataDir: args.fromDataDir, cwd: io.cwd, createIfMissing: false },
        (source) =>
          withStore(
            { kind: 'postgres', postgresUrl: args.toPostgresUrl, postgresSchema },
            (target) => restoreInBatches(target, source.scan(), batchSize),
          ),
      );
      io.stdout(
        `migrated ${describeCopy(progress, 'PostgreSQL')} from ${args.fromDataDir} to PostgreSQL\n`,
      );
    },
  };
}
