import type { WireQueue } from '@gopherqueue/client';
import type { CommandModule } from 'yargs';
import type { CliIo } from '../cli-io.js';
import { output, withClient, withClientOptions, type ClientArgs } from '../client-command.js';
import { formatTable } from '../table.js';

interface QueueNameArgs extends ClientArgs {
  name: string;
}

/** A table of queues with their job counts. */
export function formatQueues(queues: readonly WireQueue[]): string {
  if (queues.length === 0) return 'no queues\n';
  return formatTable(queues, [
    { header: 'QUEUE', value: (q) => q.name },
    { header: 'STATUS', value: (q) => (q.paused ? 'paused' : 'active') },
    { header: 'SCHEDULED', value: (q) => String(q.counts.scheduled), right: true },
    { header: 'RUNNING', value: (q) => String(q.counts.running), right: true },
    { header: 'RETRYING', value: (q) => String(q.counts.retrying), right: true },
    { header: 'COMPLETED', value: (q) => String(q.counts.completed), right: true },
    { header: 'DEAD', value: (q) => String(q.counts.dead_letter), right: true },
    { header: 'TOTAL', value: (q) => String(q.total), right: true },
  ]);
}

/** `gq queues`: lists named queues; `pause NAME` and `resume NAME`. */
export function queuesCommand(io: CliIo): CommandModule {
  const list: CommandModule<object, ClientArgs> = {
    command: ['list', '$0'],
    describe: 'List queues',
    builder: (args) => withClientOptions(args, io),
    handler: (args) =>
      withClient(args, async (client) => {
        const queues = await client.queues();
        output(io, args, { queues }, () => formatQueues(queues));
      }),
  };
  const toggle = (action: 'pause' | 'resume'): CommandModule<object, QueueNameArgs> => ({
    command: `${action} <name>`,
    describe: action === 'pause' ? 'Stop claiming jobs of a queue' : 'Claim jobs of a queue again',
    builder: (args) =>
      withClientOptions(args, io).positional('name', {
        type: 'string',
        demandOption: true,
        describe: 'Queue name',
      }),
    handler: (args) =>
      withClient(args, async (client) => {
        const answer =
          action === 'pause'
            ? await client.pauseQueue(args.name)
            : await client.resumeQueue(args.name);
        output(
          io,
          args,
          answer,
          () => `${args.name} ${action === 'pause' ? 'paused' : 'resumed'}\n`,
        );
      }),
  });
  return {
    command: 'queues',
    describe: 'Named queues: list, pause, resume',
    builder: (args) => args.command(list).command(toggle('pause')).command(toggle('resume')),
    handler: () => undefined,
  };
}
