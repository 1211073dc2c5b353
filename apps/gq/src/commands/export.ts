import type { CommandModule } from 'yargs';
import type { CliIo } from '../cli-io.js';
import { jobToLine } from '../job-ndjson.js';
import { storeOptions, withStore, type StoreArgs } from '../job-transfer.js';
import { postgresSchemaOption, type StoreKind } from '../open-store.js';

/** Lines written to standard output at once. */
const CHUNK = 500;

/**
 * `gq export`: every job of a store (stopped, for the embedded one), one JSON object per line,
 * with every field: state, attempt, checkpoint, progress, result, errors, timestamps and lease.
 */
export function exportCommand(io: CliIo): CommandModule<object, StoreArgs> {
  return {
    command: 'export',
    describe: 'Write every job of a store to standard output as NDJSON (one job per line)',
    builder: (args) =>
      args
        .option('store', {
          type: 'string',
          choices: ['level', 'memory', 'postgres'] satisfies StoreKind[],
          describe: 'Store to read (default level, or postgres with --postgres-url)',
        })
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
        .option('postgres-schema', postgresSchemaOption(io.env))
        .example('$0 export --data-dir ./data > jobs.ndjson', 'export the embedded store') as never,
    handler: async (args) => {
      const count = await withStore(storeOptions(args, io.cwd), async (store) => {
        let chunk = '';
        let lines = 0;
        let n = 0;
        for await (const job of store.scan()) {
          chunk += jobToLine(job);
          n++;
          if (++lines === CHUNK) {
            io.stdout(chunk);
            chunk = '';
            lines = 0;
          }
        }
        if (chunk !== '') io.stdout(chunk);
        return n;
      });
      io.stderr(`exported ${count} job${count === 1 ? '' : 's'}\n`);
    },
  };
}
