import type { WireJob } from '@gopherqueue/client';
import type { CommandModule } from 'yargs';
import type { CliIo } from '../cli-io.js';
import { output, withClient, withClientOptions, type ClientArgs } from '../client-command.js';
import { formatJobTable } from '../job-format.js';
import { positiveIntFlag } from '../parse-flags.js';

interface DlqListArgs extends ClientArgs {
  limit: number;
  type: string | undefined;
}

interface DlqRequeueArgs extends ClientArgs {
  ids: string[];
}

/** `gq dlq`: lists dead-lettered jobs; `requeue ID...` runs them again; `purge` deletes them. */
export function dlqCommand(io: CliIo): CommandModule {
  const list: CommandModule<object, DlqListArgs> = {
    command: ['list', '$0'],
    describe: 'List dead-lettered jobs',
    builder: (args) =>
      withClientOptions(args, io)
        .option('limit', { type: 'number', default: 20, describe: 'At most this many jobs' })
        .option('type', { type: 'string', describe: 'Only jobs of this type' }),
    handler: (args) =>
      withClient(args, async (client) => {
        const filter: { limit: number; type?: string } = {
          limit: positiveIntFlag('limit', args.limit),
        };
        if (args.type !== undefined) filter.type = args.type;
        const page = await client.deadLetter(filter);
        output(io, args, page, () => formatJobTable(page.jobs));
      }),
  };
  const requeue: CommandModule<object, DlqRequeueArgs> = {
    command: 'requeue <ids..>',
    describe: 'Run dead-lettered jobs again',
    builder: (args) =>
      withClientOptions(args, io).positional('ids', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'Job ids',
      }),
    handler: (args) =>
      withClient(args, async (client) => {
        const jobs: WireJob[] = [];
        for (const id of args.ids) jobs.push(await client.requeue(id));
        output(io, args, jobs, () => jobs.map((job) => `${job.id} ${job.state}\n`).join(''));
      }),
  };
  const purge: CommandModule<object, ClientArgs> = {
    command: 'purge',
    describe: 'Delete every dead-lettered job',
    builder: (args) => withClientOptions(args, io),
    handler: (args) =>
      withClient(args, async (client) => {
        const purged = await client.purgeDeadLetter();
        output(io, args, { purged }, () => `purged ${purged} jobs\n`);
      }),
  };
  return {
    command: 'dlq',
    describe: 'Dead letter: list, requeue, purge',
    builder: (args) => args.command(list).command(requeue).command(purge),
    handler: () => undefined,
  };
}
