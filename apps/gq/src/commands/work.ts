import { randomUUID } from 'node:crypto';
import { HttpWorkSource, ProcessGuard, WorkerPool, type Isolation } from '@gopherqueue/worker';
import type { CommandModule } from 'yargs';
import { UsageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { connect, withClientOptions, type ClientArgs } from '../client-command.js';
import { loadHandlerModule, type HandlerModule } from '../load-handlers.js';
import { queuesFlag } from '../queues-flag.js';
import { registerHandlers } from '../register-handlers.js';
import { LOG_OPTIONS, loggerFor, type LogArgs } from '../log-options.js';
import {
  claimAheadFlag,
  durationFlag,
  LEASE_BOUNDS,
  listFlag,
  MAX_HANDLERS,
  positiveIntFlag,
} from '../parse-flags.js';
import { startTracing, tracingWanted, type Tracing } from '../tracing.js';
import { untilAborted } from '../until-aborted.js';

interface WorkArgs extends ClientArgs, LogArgs {
  handlers: string;
  isolation: Isolation;
  concurrency: number;
  claimAhead: number | undefined;
  types: string[] | undefined;
  queues: string[] | undefined;
  lease: string;
  shutdownTimeout: string;
  otel: boolean | undefined;
}

/**
 * The types `gq work` claims: those of `--types`, each of which needs a handler, else every
 * handler's type.
 * @throws UsageError for a type without a handler, or no type at all.
 */
function claimedTypes(handlers: HandlerModule, wanted: readonly string[]): string[] {
  const types = wanted.length > 0 ? [...wanted] : Object.keys(handlers.entries);
  if (types.length === 0) throw new UsageError('gq work needs at least one handler');
  for (const type of types) {
    if (!(type in handlers.entries)) throw new UsageError(`--types: no handler for type "${type}"`);
  }
  return types;
}

/**
 * `gq work`: a {@link WorkerPool} in this process over the server's lease API (an
 * {@link HttpWorkSource}), running the handlers of `--handlers` for the jobs it claims.
 */
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
        .option('isolation', {
          type: 'string',
          choices: ['inline', 'thread', 'process'],
          default: 'inline',
          describe:
            'Where --handlers functions run: in this process (inline), a worker thread or a child process',
        })
        .option('concurrency', {
          type: 'number',
          default: 10,
          describe: 'Handlers running at once',
        })
        .option('claim-ahead', {
          type: 'number',
          default: 256,
          describe:
            'Most jobs claimed ahead of a free slot and held for one, at most about a second (0: none)',
        })
        .option('types', { type: 'string', array: true, describe: 'Only these types (a,b)' })
        .option('queues', {
          type: 'string',
          array: true,
          describe: 'Only these queues (a,b), or these by weight (critical:6,default:3,low:1)',
        })
        .option('lease', { type: 'string', default: '30s', describe: 'Lease asked for per job' })
        .option('shutdown-timeout', {
          type: 'string',
          default: '30s',
          describe: 'How long running jobs may finish on SIGTERM',
        })
        .option('otel', {
          type: 'boolean',
          describe:
            'Export a span per attempt over OTLP/HTTP (on by default when OTEL_TRACES_EXPORTER=otlp); endpoint and headers from the standard OTEL_EXPORTER_OTLP_* variables',
        })
        .options(LOG_OPTIONS) as never,
    handler: async (args) => {
      const queues = queuesFlag(args.queues);
      const handlers = await loadHandlerModule(args.handlers, io.cwd, io.importModule);
      const types = claimedTypes(handlers, listFlag(args.types));
      const concurrency = positiveIntFlag('concurrency', args.concurrency, MAX_HANDLERS);
      const claimAhead = claimAheadFlag(args.claimAhead) ?? 256;
      const leaseMs = durationFlag('lease', args.lease, LEASE_BOUNDS);
      const shutdownTimeoutMs = durationFlag('shutdown-timeout', args.shutdownTimeout);
      const workerId = `remote-${randomUUID()}`;
      const logger = loggerFor(args, 'gq-work').child({ workerId });
      let pool: WorkerPool;
      try {
        pool = new WorkerPool({
          source: new HttpWorkSource({ client: connect(args), logger }),
          workerId,
          concurrency,
          claimAhead,
          leaseMs,
          shutdownTimeoutMs,
          // Only the types it has handlers for: the others wait for another worker.
          unknownTypes: 'wait',
          logger,
          ...queues,
        });
        registerHandlers(pool, handlers, args.isolation, types);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError((err as Error).message);
      }
      const tracing: Tracing | undefined = tracingWanted(args.otel, io.env)
        ? await startTracing('gq-work', logger)
        : undefined;
      // A handler's stray error fails its job instead of ending the worker.
      const guard = new ProcessGuard({ logger });
      guard.start();
      pool.start();
      io.stdout(
        `gq work pulling ${types.join(', ')} from ${args.server} (${concurrency} at once)\n`,
      );
      await untilAborted(io.stopSignal);
      logger.info('shutting down', { signal: String(io.stopSignal.reason) });
      await pool.stop();
      await guard.stop();
      await tracing?.stop();
      logger.info('stopped');
    },
  };
}
