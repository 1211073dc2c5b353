import type { Server } from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { createApi, HandlerCoverage, WorkerRegistry, type LocalWorkers } from '@gopherqueue/api';
import {
  noopLogger,
  systemClock,
  type ComponentStatus,
  type Durability,
  type Logger,
  type Store,
} from '@gopherqueue/core';
import {
  HealthChecker,
  Metrics,
  queueGaugeValues,
  ThroughputHistory,
} from '@gopherqueue/observability';
import { ExpirySweeper, Janitor, Recoverer } from '@gopherqueue/recovery';
import {
  JobEventRelay,
  SCHEDULE_LEAD_MS,
  ScheduleTicker,
  Scheduler,
  syncDeclaredSchedules,
} from '@gopherqueue/scheduler';
import { ApiKeyManager, AuditLog } from '@gopherqueue/security';
import { WorkerPool, type Isolation } from '@gopherqueue/worker';
import { createAdaptorServer } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { resolveAuthMode, type AuthMode } from './auth-mode.js';
import { BUILTIN_HANDLERS } from './builtin-handlers.js';
import { CliError } from './cli-error.js';
import { ComponentStack } from './component-stack.js';
import { listen, closeHttpServer } from './http-listen.js';
import { boundNames, isLoopbackHost, localUrl, parseListenAddress } from './listen-address.js';
import type { HandlerMap, HandlerModule } from './load-handlers.js';
import { openStore, type StoreKind } from './open-store.js';
import { registerHandlers } from './register-handlers.js';
import { GQ_VERSION } from './version.js';

/** Options of {@link startServer}; the flags of `gq serve`. */
export interface ServerOptions {
  /** Listen address (`":8080"`, `"127.0.0.1:0"`). @defaultValue `':8080'` */
  http?: string;
  /** @defaultValue `'level'` */
  store?: StoreKind;
  /** Directory of the embedded store. @defaultValue `'./data'` */
  dataDir?: string;
  /** Directory a relative `dataDir` is resolved against. @defaultValue `process.cwd()` */
  cwd?: string;
  /** @defaultValue `'durable'` */
  durability?: Durability;
  /** Connection string of the `postgres` store. */
  postgresUrl?: string;
  /**
   * Schema of the `postgres` store's tables.
   * @defaultValue env `GQ_POSTGRES_SCHEMA`, else `'gopherqueue'`
   */
  postgresSchema?: string;
  /** Handlers running at once in this process. @defaultValue 10 */
  workers?: number;
  /**
   * Most jobs the local pool claims ahead of a free slot (the `claimAhead` option of
   * `WorkerPool`). @defaultValue the store's: 512 on `postgres`, else 0
   */
  claimAhead?: number;
  /** Lease of a claimed job, renewed by heartbeat. @defaultValue 30_000 */
  leaseMs?: number;
  /** How long a stop lets running jobs finish before releasing them. @defaultValue 30_000 */
  shutdownTimeoutMs?: number;
  /**
   * What the local pool does with job types it has no handler for: `wait` leaves them
   * `scheduled` for a worker that has one (a `gq work`), showing `waiting_reason: no_handler`
   * while no worker this server knows claims the type; `fail` claims them and fails them at once.
   * `leave` is another name of `wait`. @defaultValue `'wait'`
   */
  unknownTypes?: 'wait' | 'fail' | 'leave';
  /** Only these queues for the local pool, the most urgent job of any first. @defaultValue every queue */
  queues?: readonly string[];
  /**
   * The local pool's queues by weight instead of `queues` (see the `queueWeights` option of
   * `WorkerPool`): `{ critical: 6, default: 3, low: 1 }` tries `critical` first 6 rounds in 10.
   */
  queueWeights?: Readonly<Record<string, number>>;
  /**
   * Serves `/metrics` without a key (for a Prometheus scraper on a trusted network); the checks
   * of web page origins and `Host` names still apply. @defaultValue false
   */
  metricsPublic?: boolean;
  /** Handlers merged over the built-in `echo`, `sleep` and `error`. @defaultValue `{}` */
  handlers?: HandlerMap;
  /** A `--handlers` module, whose entries are registered over the built-ins and `handlers`. */
  handlerModule?: HandlerModule;
  /**
   * Where the entries of `handlerModule` that do not say run: `inline`, `thread` or `process`
   * (the built-ins always run inline). @defaultValue `'inline'`
   */
  isolation?: Isolation;
  /** `true` requires a key from everyone, `false` from no one; unset: see {@link resolveAuthMode}. */
  auth?: boolean;
  /**
   * Host names (no port) requests may name in `Host` besides `localhost`, the loopback addresses
   * and the address bound: the names a reverse proxy passes on, or a name in `/etc/hosts`.
   * @defaultValue none
   */
  allowedHosts?: readonly string[];
  /** How long finished-and-completed jobs are kept. @defaultValue 86_400_000 (24 h) */
  completedTtlMs?: number;
  /** How long failed, dead-lettered and cancelled jobs are kept. @defaultValue 604_800_000 (7 days) */
  failedTtlMs?: number;
  /** How long audit log entries are kept. @defaultValue 7_776_000_000 (90 days) */
  auditTtlMs?: number;
  /** Time between two retention purges (jobs and audit entries). @defaultValue 60_000 */
  janitorIntervalMs?: number;
  /** Event streams (`GET /api/v1/events`) open at once; more get 503. @defaultValue 1000 */
  maxEventStreams?: number;
  /** Waits of `/api/v1/jobs/:id/wait` held open at once; more get 503. @defaultValue 1000 */
  maxJobWaits?: number;
  /**
   * Claims of the lease API waiting for work at once; past it a claim that finds no job gets 503.
   * @defaultValue 1000
   */
  maxClaimWaits?: number;
  /**
   * HTTP connections open at once (the server's `maxConnections`); the operating system still
   * accepts more, and the server closes each at once. @defaultValue {@link DEFAULT_MAX_CONNECTIONS}
   */
  maxConnections?: number;
  /** @defaultValue noopLogger */
  logger?: Logger;
}

/**
 * Connections `gq serve` keeps open at once by default: a fixed bound rather than one derived from
 * the file-descriptor limit, which Node.js does not expose (it raises the soft limit to the hard
 * one at startup, commonly far above this). It leaves room for the event streams and long polls
 * (1,000 each by default) plus ordinary requests, and keeps a flood of idle sockets from running
 * the process out of descriptors for its store and handlers.
 */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

/** A started server. */
export interface GqServer {
  /** A URL that reaches the server from this machine (`http://127.0.0.1:8080`). */
  readonly url: string;
  readonly port: number;
  readonly authMode: AuthMode;
  readonly store: Store;
  /** Jobs recovered at startup from a crashed run. */
  readonly recovered: number;
  /** `running` once started, `stopping` during {@link GqServer.stop}, then `stopped`. */
  readonly status: ComponentStatus;
  /**
   * Stops in reverse start order: not ready, no more sweeps, the pool drains (up to the shutdown
   * timeout, then releases), the scheduler stops, the HTTP server closes, the events stop, the
   * store closes. Safe to call twice.
   */
  stop(): Promise<void>;
}

/**
 * The composition root of `gq serve`: opens the store, starts the job events, binds the HTTP API,
 * recovers what a crash left running, and starts the scheduler, the worker pool, the recoverer and
 * the janitor, in dependency order; each start and stop is logged at debug level. `/live` answers
 * from the moment the port is bound; `/ready` only after startup recovery, and no longer once
 * stopping.
 * @throws CliError when the store cannot be opened or the port bound.
 */
export async function startServer(options: ServerOptions = {}): Promise<GqServer> {
  const logger = options.logger ?? noopLogger;
  const address = parseListenAddress(options.http ?? ':8080');
  const authMode = resolveAuthMode(options.auth);
  const leaseMs = options.leaseMs ?? 30_000;
  const parts = new ComponentStack(logger);

  try {
    const store = await openStore({
      kind: options.store ?? 'level',
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      durability: options.durability ?? 'durable',
      ...(options.postgresUrl === undefined ? {} : { postgresUrl: options.postgresUrl }),
      ...(options.postgresSchema === undefined ? {} : { postgresSchema: options.postgresSchema }),
      logger,
    });
    parts.started('store', () => store.close());

    const health = new HealthChecker();
    health.register('store', () => store.ping());
    const metrics = new Metrics();
    metrics.setStoreSource(store);
    const events = new JobEventRelay({ store, logger });
    await parts.start('events', events);
    parts.started('metrics', metrics.observeEvents(events));
    // The dashboard's last hour: this process's own, empty at its start.
    const history = new ThroughputHistory();
    parts.started('history', history.observe(events));
    const scheduler = new Scheduler({ store, clock: systemClock, logger });
    const pool = new WorkerPool({
      store,
      scheduler,
      concurrency: options.workers ?? 10,
      ...(options.claimAhead === undefined ? {} : { claimAhead: options.claimAhead }),
      leaseMs,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 30_000,
      unknownTypes: options.unknownTypes ?? 'wait',
      ...(options.queues === undefined ? {} : { queues: options.queues }),
      ...(options.queueWeights === undefined ? {} : { queueWeights: options.queueWeights }),
      clock: systemClock,
      logger,
    });
    for (const [type, handler] of Object.entries({ ...BUILTIN_HANDLERS, ...options.handlers })) {
      pool.register(type, handler);
    }
    if (options.handlerModule !== undefined) {
      registerHandlers(pool, options.handlerModule, options.isolation);
    }
    const host = hostname();
    const workers = (): LocalWorkers => {
      const stats = pool.stats();
      const types = pool.claimedTypes();
      return {
        id: pool.workerId,
        host,
        busy: stats.busy,
        concurrency: stats.concurrency,
        ...(types === undefined ? {} : { types }),
        jobs: pool.runningJobs(),
      };
    };
    // One registry of the remote workers for the lease API, the waiting reasons and the metrics.
    const workerRegistry = new WorkerRegistry({ clock: systemClock });
    const coverage = new HandlerCoverage({
      localTypes: () => pool.claimedTypes(),
      registry: workerRegistry,
      clock: systemClock,
    });
    metrics.setWorkerSource(workers);
    metrics.setRemoteWorkerSource(() => workerRegistry.slots(store));
    metrics.setWaitingSource(() => coverage.countWaiting(store));
    metrics.setQueueSource(async () => queueGaugeValues(await store.listQueues(), Date.now()));

    if (authMode === 'off' && options.auth === false) {
      logger.warn('auth is off (--auth=false): every request is trusted, from any address');
    }
    const audit = new AuditLog({ meta: store.meta });
    // A tick's jobs are written a second ahead, so they start at the tick without its write.
    const ticker = new ScheduleTicker({
      store,
      clock: systemClock,
      logger,
      leadMs: SCHEDULE_LEAD_MS,
    });
    const app = createApi({
      store,
      scheduler,
      events,
      keys: new ApiKeyManager({ meta: store.meta }),
      audit,
      auth: authMode,
      allowedHosts: [...boundNames(address.host), ...(options.allowedHosts ?? [])],
      // Reached from other machines under names it cannot know, a server bound beyond loopback
      // lets a request with a key name any host; one without a key must still name its own.
      anyHostWithKey: !isLoopbackHost(address.host),
      getRemoteAddress: (c) => getConnInfo(c).remote.address,
      metrics,
      history,
      metricsPublic: options.metricsPublic === true,
      health,
      workers,
      workerRegistry,
      waitingReason: coverage.waitingReason,
      // The answer does not wait for the ticker: a catch-up it starts may take a while.
      schedulesChanged: () => {
        ticker.refresh().catch((err: unknown) => {
          logger.warn('could not re-read the schedules', { error: String(err) });
        });
        return Promise.resolve();
      },
      logger,
      leaseMs,
      ...(options.maxEventStreams === undefined ? {} : { sseMaxStreams: options.maxEventStreams }),
      ...(options.maxJobWaits === undefined ? {} : { maxJobWaits: options.maxJobWaits }),
      ...(options.maxClaimWaits === undefined ? {} : { maxClaimWaits: options.maxClaimWaits }),
      version: GQ_VERSION,
    });
    const http = createAdaptorServer({ fetch: app.fetch }) as Server;
    // Past it, Node.js closes each new connection as soon as it is accepted.
    http.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    const bound: AddressInfo = await listen(http, address.host, address.port);
    parts.started('http', () => closeHttpServer(http));

    const recoverer = new Recoverer({ store, clock: systemClock, logger });
    const recovered = await recoverer.recoverStartup();
    if (recovered > 0) logger.info('recovered jobs left running by a crash', { recovered });
    await parts.start('scheduler', scheduler);
    await parts.start('pool', pool);
    await parts.start('recoverer', recoverer);
    const janitor = new Janitor({
      store,
      clock: systemClock,
      logger,
      ...(options.completedTtlMs === undefined ? {} : { completedTtlMs: options.completedTtlMs }),
      ...(options.failedTtlMs === undefined
        ? {}
        : { failedTtlMs: options.failedTtlMs, cancelledTtlMs: options.failedTtlMs }),
      purgeAudit: (before, limit) => audit.purge(before, limit),
      ...(options.auditTtlMs === undefined ? {} : { auditTtlMs: options.auditTtlMs }),
      ...(options.janitorIntervalMs === undefined ? {} : { intervalMs: options.janitorIntervalMs }),
    });
    await parts.start('janitor', janitor);
    await parts.start('expiry', new ExpirySweeper({ store, clock: systemClock, logger }));
    // Each start syncs its module's declarations: with several nodes, the last to start wins.
    if (options.handlerModule !== undefined) {
      await syncDeclaredSchedules(store, options.handlerModule.schedules ?? [], logger);
    }
    await parts.start('schedules', ticker);
    health.markReady();
    parts.started('readiness', () => {
      health.markNotReady('shutting down');
    });
    parts.ready();

    return {
      url: localUrl(address.host, bound.port),
      port: bound.port,
      authMode,
      store,
      recovered,
      get status() {
        return parts.status;
      },
      stop: () => parts.stop(),
    };
  } catch (err) {
    await parts.stop();
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot start the server: ${(err as Error).message}`, 1, { cause: err });
  }
}
