import { normalizeHostName } from '@gopherqueue/api';
import { setLongTimeout } from '@gopherqueue/core';
import { ProcessGuard, type Isolation } from '@gopherqueue/worker';
import type { CommandModule } from 'yargs';
import { UsageError } from '../cli-error.js';
import { isEveryInterface, parseListenAddress, type ListenAddress } from '../listen-address.js';
import type { CliIo } from '../cli-io.js';
import { BUILTIN_HANDLERS } from '../builtin-handlers.js';
import { loadHandlerModule, type HandlerModule } from '../load-handlers.js';
import { LOG_OPTIONS, loggerFor, type LogArgs } from '../log-options.js';
import { postgresSchemaOption, type StoreKind } from '../open-store.js';
import { queuesFlag } from '../queues-flag.js';
import {
  claimAheadFlag,
  durationFlag,
  LEASE_BOUNDS,
  listFlag,
  MAX_HANDLERS,
  positiveIntFlag,
  postgresSchemaFlag,
} from '../parse-flags.js';
import { DEFAULT_MAX_CONNECTIONS, startServer, type GqServer } from '../server.js';
import { startTracing, tracingWanted, type Tracing } from '../tracing.js';
import { untilAborted } from '../until-aborted.js';

interface ServeArgs extends LogArgs {
  http: string;
  workers: number;
  claimAhead: number | undefined;
  dataDir: string;
  shutdownTimeout: string;
  bolt: boolean;
  store: StoreKind | undefined;
  postgresUrl: string | undefined;
  postgresSchema: string;
  handlers: string | undefined;
  isolation: Isolation;
  auth: boolean | undefined;
  allowedHosts: string[] | undefined;
  durability: 'durable' | 'relaxed';
  unknownTypes: 'wait' | 'fail' | 'leave';
  queues: string[] | undefined;
  metricsPublic: boolean;
  lease: string;
  completedTtl: string;
  failedTtl: string;
  auditTtl: string;
  maxEventStreams: number;
  maxJobWaits: number;
  maxClaimWaits: number;
  maxConnections: number;
  otel: boolean | undefined;
}

/** Part of the shutdown timeout kept for releasing jobs and closing the store after the drain. */
function drainBudgetMs(shutdownTimeoutMs: number): number {
  return Math.max(0, shutdownTimeoutMs - Math.min(2_000, Math.floor(shutdownTimeoutMs / 5)));
}

/**
 * Reads `--allowed-hosts`: host names or IP addresses, without a port.
 * @throws UsageError for one that is not.
 */
function allowedHostsFlag(values: string[] | undefined): string[] {
  return listFlag(values).map((value) => {
    try {
      return normalizeHostName(value);
    } catch (err) {
      throw new UsageError(`--allowed-hosts: ${(err as Error).message}`);
    }
  });
}

/**
 * `handlers: a, b [thread] (./handlers.js); echo, error, sleep (built in)`: the job types run
 * here, each isolated one with its isolation.
 */
function handlerLine(module: HandlerModule | undefined, isolation: Isolation): string {
  const entries = module?.entries ?? {};
  const own = Object.keys(entries).sort();
  const builtin = Object.keys(BUILTIN_HANDLERS)
    .filter((type) => !own.includes(type))
    .sort();
  const named = own.map((type) => {
    const where = entries[type]?.isolation ?? isolation;
    return where === 'inline' ? type : `${type} [${where}]`;
  });
  const parts = [
    ...(own.length > 0 ? [`${named.join(', ')} (${module?.name ?? ''})`] : []),
    ...(builtin.length > 0 ? [`${builtin.join(', ')} (built in)`] : []),
  ];
  return `handlers: ${parts.join('; ')}`;
}

/** `gq serve`: the server, its workers and its HTTP API, until SIGINT or SIGTERM. */
export function serveCommand(io: CliIo): CommandModule<object, ServeArgs> {
  return {
    command: 'serve',
    describe: 'Run the server: store, scheduler, workers and HTTP API',
    builder: (args) =>
      args
        .option('http', { type: 'string', default: ':8080', describe: 'Listen address' })
        .option('workers', { type: 'number', default: 10, describe: 'Handlers running at once' })
        .option('claim-ahead', {
          type: 'number',
          describe:
            'Most jobs claimed ahead of a free slot and held for one (default 512 on postgres, 0 on the embedded store)',
        })
        .option('data-dir', {
          type: 'string',
          default: './data',
          describe: 'Embedded store directory',
        })
        .option('shutdown-timeout', {
          type: 'string',
          default: '30s',
          describe: 'How long running jobs may finish on SIGTERM',
        })
        .option('bolt', {
          type: 'boolean',
          default: true,
          describe: 'Embedded store on disk (--bolt=false: in memory)',
        })
        .option('store', {
          type: 'string',
          choices: ['level', 'memory', 'postgres'],
          describe: 'Store (default level, or memory with --bolt=false)',
        })
        .option('postgres-url', {
          type: 'string',
          default: io.env.GQ_POSTGRES_URL,
          defaultDescription: '$GQ_POSTGRES_URL',
          describe: 'PostgreSQL connection string for --store postgres',
        })
        .option('postgres-schema', postgresSchemaOption(io.env))
        .option('handlers', {
          type: 'string',
          describe: 'Module whose default export maps types to handlers',
        })
        .option('isolation', {
          type: 'string',
          choices: ['inline', 'thread', 'process'],
          default: 'inline',
          describe:
            'Where --handlers functions run: in the server (inline), a worker thread or a child process',
        })
        .option('auth', {
          type: 'boolean',
          describe: 'Require an API key from everyone (--auth=false: from no one)',
        })
        .option('allowed-hosts', {
          type: 'string',
          array: true,
          describe: 'Host names besides localhost and the bound address (comma list)',
        })
        .options(LOG_OPTIONS)
        .option('durability', {
          type: 'string',
          choices: ['durable', 'relaxed'],
          default: 'durable',
          describe: 'relaxed skips fsync: a power loss may lose the last writes',
        })
        .option('unknown-types', {
          type: 'string',
          choices: ['wait', 'fail', 'leave'],
          default: 'wait',
          describe:
            'Jobs without a local handler: wait for a worker that has one (gq work), or fail them at once (leave: same as wait)',
        })
        .option('queues', {
          type: 'string',
          array: true,
          describe:
            "This server's workers: only these queues (a,b), or these by weight (critical:6,default:3,low:1)",
        })
        .option('metrics-public', {
          type: 'boolean',
          default: false,
          describe: 'Serve /metrics without an API key (Prometheus on a trusted network)',
        })
        .option('lease', { type: 'string', default: '30s', describe: 'Lease of a running job' })
        .option('completed-ttl', {
          type: 'string',
          default: '24h',
          describe: 'Keep completed jobs',
        })
        .option('failed-ttl', {
          type: 'string',
          default: '168h',
          describe: 'Keep failed, dead-lettered and cancelled jobs',
        })
        .option('audit-ttl', {
          type: 'string',
          default: '2160h',
          describe: 'Keep audit log entries (90 days)',
        })
        .option('max-event-streams', {
          type: 'number',
          default: 1000,
          describe: 'Event streams (SSE) open at once; more get 503',
        })
        .option('max-job-waits', {
          type: 'number',
          default: 1000,
          describe: 'Job waits (GET|POST /api/v1/jobs/:id/wait) held at once; more get 503',
        })
        .option('max-claim-waits', {
          type: 'number',
          default: 1000,
          describe: 'Remote worker claims waiting for work at once; more get 503',
        })
        .option('max-connections', {
          type: 'number',
          default: DEFAULT_MAX_CONNECTIONS,
          describe: 'HTTP connections open at once; more are closed when accepted',
        })
        .option('otel', {
          type: 'boolean',
          describe:
            'Export a span per attempt over OTLP/HTTP (on by default when OTEL_TRACES_EXPORTER=otlp); endpoint and headers from the standard OTEL_EXPORTER_OTLP_* variables',
        }) as never,
    handler: async (args) => {
      const shutdownTimeoutMs = durationFlag('shutdown-timeout', args.shutdownTimeout);
      const store = args.store ?? (args.bolt ? 'level' : 'memory');
      const claimAhead = claimAheadFlag(args.claimAhead);
      const options = {
        http: args.http,
        store,
        dataDir: args.dataDir,
        cwd: io.cwd,
        durability: args.durability,
        workers: positiveIntFlag('workers', args.workers, MAX_HANDLERS),
        ...(claimAhead === undefined ? {} : { claimAhead }),
        leaseMs: durationFlag('lease', args.lease, LEASE_BOUNDS),
        shutdownTimeoutMs: drainBudgetMs(shutdownTimeoutMs),
        unknownTypes: args.unknownTypes,
        ...queuesFlag(args.queues),
        metricsPublic: args.metricsPublic,
        completedTtlMs: durationFlag('completed-ttl', args.completedTtl),
        failedTtlMs: durationFlag('failed-ttl', args.failedTtl),
        auditTtlMs: durationFlag('audit-ttl', args.auditTtl),
        maxEventStreams: positiveIntFlag('max-event-streams', args.maxEventStreams),
        maxJobWaits: positiveIntFlag('max-job-waits', args.maxJobWaits),
        maxClaimWaits: positiveIntFlag('max-claim-waits', args.maxClaimWaits),
        maxConnections: positiveIntFlag('max-connections', args.maxConnections),
        ...(store === 'postgres'
          ? { postgresSchema: postgresSchemaFlag(args.postgresSchema) }
          : {}),
      } as const;
      let address: ListenAddress;
      try {
        address = parseListenAddress(args.http);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const allowedHosts = allowedHostsFlag(args.allowedHosts);
      const logger = loggerFor(args, 'gq');
      const handlerModule =
        args.handlers === undefined
          ? undefined
          : await loadHandlerModule(args.handlers, io.cwd, io.importModule);
      if (handlerModule !== undefined) {
        const types = Object.keys(handlerModule.entries);
        logger.info('handlers loaded', { module: args.handlers, types, isolation: args.isolation });
      }
      const tracing: Tracing | undefined = tracingWanted(args.otel, io.env)
        ? await startTracing('gq', logger)
        : undefined;
      // An inline handler's stray error fails its job instead of ending the server.
      const guard = new ProcessGuard({ logger });
      guard.start();
      let server: GqServer;
      try {
        server = await startServer({
          ...options,
          http: args.http,
          ...(handlerModule === undefined ? {} : { handlerModule }),
          isolation: args.isolation,
          logger,
          allowedHosts,
          ...(args.auth === undefined ? {} : { auth: args.auth }),
          ...(args.postgresUrl === undefined ? {} : { postgresUrl: args.postgresUrl }),
        });
      } catch (err) {
        await guard.stop();
        await tracing?.stop();
        throw err;
      }
      const where =
        store === 'level'
          ? `level ${args.dataDir}`
          : store === 'postgres'
            ? `postgres schema ${args.postgresSchema}`
            : store;
      // The URL is how this machine reaches the server; a bind to every interface says so.
      const bind = isEveryInterface(address.host) ? `every interface, port ${server.port}; ` : '';
      io.stdout(`gq serve ${handlerLine(handlerModule, args.isolation)}\n`);
      io.stdout(
        `gq serve listening on ${server.url} (${bind}store ${where}, ${options.workers} workers, auth ${server.authMode})\n`,
      );
      await untilAborted(io.stopSignal);
      logger.info('shutting down', { signal: String(io.stopSignal.reason) });
      const cancelHardStop = setLongTimeout(
        () => {
          io.stderr(`gq: shutdown did not finish within ${args.shutdownTimeout}; exiting\n`);
          process.exit(1);
        },
        shutdownTimeoutMs + 5_000,
        { unref: true },
      );
      await server.stop();
      await guard.stop();
      await tracing?.stop();
      cancelHardStop();
      logger.info('stopped');
    },
  };
}
