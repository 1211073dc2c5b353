import type { ListOptions } from '@gopherqueue/client';
import { isJobState } from '@gopherqueue/core';
import type { CommandModule } from 'yargs';
import { UsageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { output, withClient, withClientOptions, type ClientArgs } from '../client-command.js';
import { formatJobTable, formatStats } from '../job-format.js';
import { positiveIntFlag } from '../parse-flags.js';

interface StatusArgs extends ClientArgs {
  stats: boolean;
  state: string | undefined;
  type: string | undefined;
  queue: string | undefined;
  'depends-on': string | undefined;
  limit: number;
}

/** `gq status`: lists jobs by state, type and queue, or shows counts with `--stats`. */
export function statusCommand(io: CliIo): CommandModule<object, StatusArgs> {
  return {
    command: 'status',
    describe: 'List jobs, or show queue statistics with --stats',
    builder: (args) =>
      withClientOptions(args, io)
        .option('stats', { type: 'boolean', default: false, describe: 'Show job counts' })
        .option('state', { type: 'string', describe: 'Only jobs in this state' })
        .option('type', { type: 'string', describe: 'Only jobs of this type' })
        .option('queue', { type: 'string', describe: 'Only jobs of this queue' })
        .option('depends-on', {
          type: 'string',
          describe: 'Only the dependents of this job (jobs whose depends_on lists it)',
        })
        .option('limit', {
          type: 'number',
          default: 20,
          describe: 'At most this many jobs',
        }),
    handler: (args) =>
      withClient(args, async (client) => {
        if (args.stats) {
          const stats = await client.stats();
          output(io, args, stats, () => formatStats(stats));
          return;
        }
        if (args.state !== undefined && !isJobState(args.state)) {
          throw new UsageError(
            `--state must be pending, delayed, scheduled, running, retrying, completed, failed, dead_letter or cancelled; got ${JSON.stringify(args.state)}`,
          );
        }
        const filter: ListOptions = { limit: positiveIntFlag('limit', args.limit) };
        if (args.state !== undefined) filter.state = args.state;
        if (args.type !== undefined) filter.type = args.type;
        if (args.queue !== undefined) filter.queue = args.queue;
        if (args['depends-on'] !== undefined) filter.dependsOn = args['depends-on'];
        const page = await client.list(filter);
        output(io, args, page, () => formatJobTable(page.jobs));
      }),
  };
}
