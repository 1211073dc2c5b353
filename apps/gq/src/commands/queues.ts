import type { QueueUpdate, WireQueue, WireQueueDetail } from '@gopherqueue/client';
import {
  formatDuration,
  MAX_GROUP_CONCURRENCY,
  MAX_QUEUE_CONCURRENCY,
  parseAging,
  parseRate,
} from '@gopherqueue/core';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { output, withClient, withClientOptions, type ClientArgs } from '../client-command.js';
import { formatTable } from '../table.js';

interface QueueNameArgs extends ClientArgs {
  name: string;
}

interface QueueSetArgs extends QueueNameArgs {
  concurrency?: string;
  rate?: string;
  groupConcurrency?: string;
  ordered?: boolean;
  aging?: string;
}

/**
 * The update `gq queues set` sends: `--concurrency N|none`, `--rate N/DURATION|none`.
 * @throws UsageError naming the flag, before anything is sent.
 */
export function queueUpdateFlags(args: {
  concurrency?: string;
  rate?: string;
  groupConcurrency?: string;
  ordered?: boolean;
  aging?: string;
}): QueueUpdate {
  const update: QueueUpdate = {};
  if (args.concurrency !== undefined) {
    const text = args.concurrency.trim();
    if (text === 'none') update.concurrency = null;
    else if (/^\d{1,6}$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_QUEUE_CONCURRENCY) {
      update.concurrency = Number(text);
    } else {
      throw new UsageError(
        `--concurrency must be an integer from 1 to ${MAX_QUEUE_CONCURRENCY}, or none for no limit; got ${JSON.stringify(args.concurrency)}`,
      );
    }
  }
  if (args.rate !== undefined) {
    const text = args.rate.trim();
    if (text === 'none') update.rate = null;
    else {
      try {
        parseRate(text);
      } catch (err) {
        throw new UsageError(
          `--rate must be N/DURATION (N 1..1000000, DURATION 1ms..1h, e.g. 100/1s) or none: ${(err as Error).message}`,
        );
      }
      update.rate = text;
    }
  }
  if (args.groupConcurrency !== undefined) {
    const text = args.groupConcurrency.trim();
    if (text === 'none') update.group_concurrency = null;
    else if (/^\d{1,6}$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_GROUP_CONCURRENCY) {
      update.group_concurrency = Number(text);
    } else {
      throw new UsageError(
        `--group-concurrency must be an integer from 1 to ${MAX_GROUP_CONCURRENCY}, or none for no limit; got ${JSON.stringify(args.groupConcurrency)}`,
      );
    }
  }
  if (args.ordered !== undefined) update.ordered = args.ordered;
  if (args.aging !== undefined) {
    const text = args.aging.trim();
    if (text === 'none') update.aging = null;
    else {
      try {
        parseAging(text);
      } catch (err) {
        throw new UsageError(
          `--aging must be a duration from 1s to 24h (one priority level per step, e.g. 5m) or none: ${(err as Error).message}`,
        );
      }
      update.aging = text;
    }
  }
  if (Object.keys(update).length === 0) {
    throw new UsageError(
      'give --concurrency N|none or --rate N/DURATION|none, --group-concurrency N|none, --ordered or --no-ordered, --aging DURATION|none (any of them)',
    );
  }
  return update;
}

/** One queue with its limits, as `gq queues show` prints it. */
export function formatQueueDetail(q: WireQueueDetail): string {
  const rows: [string, string][] = [
    ['queue', q.name],
    ['status', q.paused ? 'paused' : 'active'],
    ['concurrency', q.concurrency === null ? 'no limit' : String(q.concurrency)],
    ['rate', q.rate === null ? 'no limit' : q.rate],
    [
      'per group',
      q.ordered
        ? `1 (ordered${q.group_concurrency === null || q.group_concurrency === 1 ? '' : `; ${q.group_concurrency} when not ordered`})`
        : q.group_concurrency === null
          ? 'no limit'
          : String(q.group_concurrency),
    ],
    ['ordered', q.ordered ? 'yes (FIFO per group)' : 'no'],
    ['aging', q.aging === null ? 'none' : `1 level per ${q.aging}`],
    ['running', String(q.running)],
    ['waiting', String(q.waiting)],
  ];
  if (q.rate_remaining !== null) rows.push(['starts left', String(q.rate_remaining)]);
  if (q.next_start_at !== null) rows.push(['next start', q.next_start_at]);
  if (q.oldest_waiting_ms !== null) {
    rows.push(['oldest wait', formatDuration(Math.round(q.oldest_waiting_ms))]);
  }
  rows.push(['total', String(q.total)]);
  const groups = q.groups_at_limit ?? [];
  if (groups.length > 0) {
    const shown = groups.map((g) => `${g.group} (${g.running})`).join(', ');
    rows.push(['at limit', groups.length >= 100 ? `${shown}, ...` : shown]);
  }
  return rows.map(([key, value]) => `${key.padEnd(12)} ${value}\n`).join('');
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
  const named = <A extends object>(args: Argv<A>) =>
    withClientOptions(args, io).positional('name', {
      type: 'string',
      demandOption: true,
      describe: 'Queue name',
    });
  const show: CommandModule<object, QueueNameArgs> = {
    command: 'show <name>',
    describe: 'Show a queue: settings, running, waiting and the state of its limits',
    builder: (args) => named(args),
    handler: (args) =>
      withClient(args, async (client) => {
        const queue = await client.queue(args.name);
        output(io, args, queue, () => formatQueueDetail(queue));
      }),
  };
  const set: CommandModule<object, QueueSetArgs> = {
    command: 'set <name>',
    describe:
      "Change a queue's limits, group limits and aging (applied by every node at its next claim)",
    builder: (args) =>
      named(args)
        .option('concurrency', {
          type: 'string',
          describe: 'At most N of its jobs running at once, across every node; none: no limit',
        })
        .option('rate', {
          type: 'string',
          describe: 'At most N starts in any window of DURATION (e.g. 100/1s); none: no limit',
        })
        .option('group-concurrency', {
          type: 'string',
          describe: 'At most N running jobs per group key (gq submit --group); none: no limit',
        })
        .option('ordered', {
          type: 'boolean',
          describe: 'Strict FIFO per group key, one job at a time (--no-ordered: off)',
        })
        .option('aging', {
          type: 'string',
          describe: 'A waiting job gains one priority level per DURATION (e.g. 5m); none: off',
        }),
    handler: async (args) => {
      const update = queueUpdateFlags(args);
      await withClient(args, async (client) => {
        const queue = await client.updateQueue(args.name, update);
        output(io, args, queue, () => formatQueueDetail(queue));
      });
    },
  };
  return {
    command: 'queues',
    describe: 'Named queues: list, show, set, pause, resume',
    builder: (args) =>
      args
        .command(list)
        .command(show)
        .command(set)
        .command(toggle('pause'))
        .command(toggle('resume')),
    handler: () => undefined,
  };
}
