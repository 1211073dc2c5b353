import type { CommandModule } from 'yargs';
import type { CliIo } from '../cli-io.js';
import { jobToLine } from '../job-ndjson.js';
import { storeFlags, storeOptions, withStore, type StoreArgs } from '../job-transfer.js';

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
      storeFlags(args, io, 'read').example(
        '$0 export --data-dir ./data > jobs.ndjson',
        'export the embedded store',
      ) as never,
    handler: async (args) => {
      const existing = storeOptions(args, io.cwd, { createIfMissing: false });
      const count = await withStore(existing, async (store) => {
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
