import type { CommandModule } from 'yargs';
import { UsageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { connect, withClientOptions, type ClientArgs } from '../client-command.js';
import { loadHandlers } from '../load-handlers.js';
import { LOG_OPTIONS, loggerFor, type LogArgs } from '../log-options.js';
import { durationFlag, LEASE_BOUNDS, listFlag, positiveIntFlag } from '../parse-flags.js';
import { untilAborted } from '../until-aborted.js';
import { RemoteWorker } from '../worker-process.js';

interface WorkArgs extends ClientArgs, LogArgs {
  handlers: string;
  concurrency: number;
  types: string[] | undefined;
  queues: string[] | undefined;
  lease: string;
  shutdownTimeout: string;
}

/** `gq work`: runs handlers in this process for jobs claimed from a server over HTTP. */
export function workCommand(io: CliIo): CommandModule<object, WorkArgs> {
  return {
    command: 'work',
    describe: 'Run handlers for a remote server (lease API)',
    builder: (args) =>
      withClientOptions(args, io)
        .option('handlers', {
          type: 'string',
          demandOption: true,
          describe: 'Module whose default export maps types to handlers',
        })
        .option('concurrency', {
          type: 'number',
          default: 10,
          describe: 'Handlers running at once',
        })
        .option('types', { type: 'string', array: true, describe: 'Only these types (a,b)' })
        .option('queues', { type: 'string', array: true, describe: 'Only these queues (a,b)' })
        .option('lease', { type: 'string', default: '30s', describe: 'Lease asked for per job' })
        .option('shutdown-timeout', {
          type: 'string',
          default: '30s',
          describe: 'How long running jobs may finish on SIGTERM',
        })
        .options(LOG_OPTIONS) as never,
    handler: async (args) => {
      const logger = loggerFor(args, 'gq-work');
      const handlers = await loadHandlers(args.handlers, io.cwd, io.importModule);
      const types = listFlag(args.types);
      const queues = listFlag(args.queues);
      let worker: RemoteWorker;
      try {
        worker = new RemoteWorker({
          client: connect(args),
          handlers,
          concurrency: positiveIntFlag('concurrency', args.concurrency),
          leaseMs: durationFlag('lease', args.lease, LEASE_BOUNDS),
          shutdownTimeoutMs: durationFlag('shutdown-timeout', args.shutdownTimeout),
          logger,
          ...(types.length > 0 ? { types } : {}),
          ...(queues.length > 0 ? { queues } : {}),
        });
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError((err as Error).message);
      }
      worker.start();
      io.stdout(
        `gq work pulling ${worker.types.join(', ')} from ${args.server} (${worker.stats().concurrency} at once)\n`,
      );
      await untilAborted(io.stopSignal);
      logger.info('shutting down', { signal: String(io.stopSignal.reason) });
      await worker.stop();
      logger.info('stopped');
    },
  };
}
