import { randomUUID } from 'node:crypto';
import {
  ApiError,
  GopherQueueClient,
  type ClaimRequest,
  type WireLeasedJob,
} from '@gopherqueue/client';
import { HttpWorkSource, ProcessGuard, WorkerPool, type Isolation } from '@gopherqueue/worker';
import type { CommandModule } from 'yargs';
import { CliError, toCliError, UsageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { clientOptions, withClientOptions, type ClientArgs } from '../client-command.js';
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
  concurrency: number | string;
  claimAhead: number | string | undefined;
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

/** The lease API route a claim is sent to, named in messages. */
const CLAIM_ROUTE = 'POST /api/v1/workers/claim';

/**
 * Why `gq work` can never lease jobs as its flags stand, when a claim failed for a reason that
 * trying again does not change: the server refused the key (401) or its right to lease (403),
 * nothing at the address has the lease API (404 or 405, or an answer that is no list of jobs:
 * a server that is not GopherQueue, or a path in `--server`), or fetch refuses the port.
 * Undefined for a failure worth retrying: no answer (refused, reset), a 5xx, a busy 503.
 */
function claimRefusal(err: unknown, args: ClientArgs): CliError | undefined {
  const server = args.server;
  if (err instanceof ApiError) {
    // The server's own words when it is GopherQueue (an envelope); an HTML page's are noise.
    const why = err.code === `http_${err.status}` ? '' : `: ${err.message}`;
    if (err.status === 401) {
      return new CliError(
        args.apiKey === undefined || args.apiKey === ''
          ? `the server at ${server} requires an API key (401); pass one with --api-key or GQ_API_KEY`
          : `the server at ${server} refused the API key (401); pass a valid --api-key`,
        1,
        { cause: err },
      );
    }
    if (err.status === 403) {
      return new CliError(
        `the server at ${server} refused to lease jobs to this worker (403${why}); pass an --api-key of the worker or admin role that may use these queues`,
        1,
        { cause: err },
      );
    }
    if (err.status === 404 || err.status === 405) return noLeaseApi(server, err.status, err);
    return undefined;
  }
  // A 2xx answer that is not JSON: some other server, or a page at that path.
  if (err instanceof SyntaxError) return noLeaseApi(server, undefined, err);
  // fetch never connects to some ports (`http://127.0.0.1:1`), so no try ever reaches a server.
  if (err instanceof TypeError && err.cause instanceof Error && err.cause.message === 'bad port') {
    return toCliError(err, server);
  }
  return undefined;
}

/** The error of a `--server` with no lease API behind it: `status` it answered, if any. */
function noLeaseApi(server: string, status: number | undefined, cause: unknown): CliError {
  const answer = status === undefined ? 'with no list of jobs' : status;
  return new CliError(
    `no GopherQueue server at ${server}: ${CLAIM_ROUTE} answered ${answer}; pass the server's base URL as --server, as gq serve prints it (no /api/v1)`,
    1,
    { cause },
  );
}

/**
 * The client of `gq work`: a claim that fails for good (see {@link claimRefusal}) is handed to
 * `refused` and then left pending until the pool stops (aborting the claim), so the pool neither
 * sends it again nor logs it as a failure to retry.
 */
class WorkClient extends GopherQueueClient {
  readonly #args: ClientArgs;
  readonly #refused: (error: CliError) => void;

  /** @throws CliError for a `--server` that is no http(s) URL, before any request. */
  constructor(args: ClientArgs, refused: (error: CliError) => void) {
    super(clientOptions(args));
    this.#args = args;
    this.#refused = refused;
  }

  override async claim(request: ClaimRequest): Promise<WireLeasedJob[]> {
    let refusal: CliError | undefined;
    try {
      const jobs = await super.claim(request);
      if (Array.isArray(jobs)) return jobs;
      refusal = noLeaseApi(this.#args.server, undefined, undefined);
    } catch (err) {
      refusal = claimRefusal(err, this.#args);
      if (refusal === undefined) throw err;
    }
    this.#refused(refusal);
    // The pool's claims carry its stop signal; a claim without one fails as it is.
    if (request.signal === undefined) throw refusal;
    await untilAborted(request.signal);
    return [];
  }
}

/**
 * `gq work`: a {@link WorkerPool} in this process over the server's lease API (an
 * {@link HttpWorkSource}), running the handlers of `--handlers` for the jobs it claims. It stops
 * on SIGINT or SIGTERM (exit 0), or at the first claim the server refuses for good (exit 1: a
 * refused key, no lease API at `--server`); a server that does not answer, or answers 5xx, is
 * tried again with a growing pause.
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
        // Counts and durations take the next word whatever it is (`--lease -1s`), and counts
        // are read from the text as typed (see positiveIntFlag), not as yargs' NaN.
        .option('concurrency', {
          requiresArg: true,
          default: 10,
          describe: 'Handlers running at once',
        })
        .option('claim-ahead', {
          requiresArg: true,
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
        .option('lease', {
          type: 'string',
          requiresArg: true,
          default: '30s',
          describe: 'Lease asked for per job',
        })
        .option('shutdown-timeout', {
          type: 'string',
          requiresArg: true,
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
      let refused: CliError | undefined;
      const refusal = new AbortController();
      // Before the handlers load: a `--server` that is no URL is refused before anything runs.
      const client = new WorkClient(args, (error) => {
        refused ??= error;
        refusal.abort();
      });
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
          source: new HttpWorkSource({ client, logger }),
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
      await untilAborted(AbortSignal.any([io.stopSignal, refusal.signal]));
      logger.info(
        'shutting down',
        refused === undefined
          ? { signal: String(io.stopSignal.reason) }
          : { error: refused.message },
      );
      await pool.stop();
      await guard.stop();
      await tracing?.stop();
      logger.info('stopped');
      if (refused !== undefined) throw refused;
    },
  };
}
