import type { WireWorker } from '@gopherqueue/client';
import type { CommandModule } from 'yargs';
import type { CliIo } from '../cli-io.js';
import { output, withClient, withClientOptions, type ClientArgs } from '../client-command.js';
import { formatTable } from '../table.js';

/**
 * A table of workers: the server's own pool, then each remote worker seen recently, with the jobs
 * it holds over its slots (`?` when a remote worker did not say its concurrency).
 */
export function formatWorkers(workers: readonly WireWorker[]): string {
  if (workers.length === 0) return 'no workers\n';
  return formatTable(workers, [
    { header: 'ID', value: (w) => w.id },
    { header: 'KIND', value: (w) => w.kind },
    { header: 'HOST', value: (w) => w.host },
    { header: 'TYPES', value: (w) => (w.types === null ? '*' : w.types.join(',')) },
    { header: 'QUEUES', value: (w) => (w.queues === null ? '*' : w.queues.join(',')) },
    {
      header: 'BUSY',
      value: (w) => `${w.busy}/${w.concurrency === null ? '?' : String(w.concurrency)}`,
      right: true,
    },
    { header: 'LAST SEEN', value: (w) => w.last_seen_at },
  ]);
}

/**
 * `gq workers`: the server's local pool and the `gq work` processes it heard from in the last two
 * leases (each server knows only the remote workers that talk to it).
 */
export function workersCommand(io: CliIo): CommandModule<object, ClientArgs> {
  return {
    command: 'workers',
    describe: 'List the server pool and the remote workers (gq work) it heard from',
    builder: (args) => withClientOptions(args, io),
    handler: (args) =>
      withClient(args, async (client) => {
        const workers = await client.workers();
        output(io, args, { workers }, () => formatWorkers(workers));
      }),
  };
}
