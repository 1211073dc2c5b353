import {
  MAX_TIMER_MS,
  noopLogger,
  systemClock,
  type Clock,
  type Job,
  type JobEvents,
  type Logger,
  type Store,
  type TypedEmitter,
} from '@gopherqueue/core';
import type { HealthChecker, Metrics, ThroughputHistory } from '@gopherqueue/observability';
import type { Scheduler } from '@gopherqueue/scheduler';
import type { ApiKeyManager, AuditLog } from '@gopherqueue/security';
import type { Context } from 'hono';
import type { WaitingReasonOf } from './handler-coverage.js';
import { normalizeHostName } from './host-name.js';
import { API_PACKAGE_VERSION } from './package-version.js';
import { WorkerRegistry } from './worker-registry.js';

/** Who may call the API without a key. */
export type AuthMode = 'off' | 'protected' | 'required';

/** Options of {@link createApi}. */
export interface ApiOptions {
  /** Where jobs live. */
  store: Store;
  /** Submits jobs and wakes long-polling claimers. */
  scheduler: Pick<Scheduler, 'enqueue' | 'enqueueBatch' | 'waitForWork' | 'epoch'>;
  /** Job lifecycle events (a `JobEventRelay`), for wait and SSE. */
  events: TypedEmitter<JobEvents>;
  /** API keys; without it, every key is refused. */
  keys?: ApiKeyManager;
  /** Where admin and operator actions are recorded. */
  audit?: AuditLog;
  /**
   * `off`: everyone is trusted as admin, whatever page or Host a request comes with.
   * `protected`: requests from loopback addresses are trusted as admin, others need a key.
   * `required`: everyone needs a key. In `protected` and `required`, a request from a web page
   * of another origin, or naming a Host that is not one of the server's names, is refused (403),
   * and a request body must be JSON (415).
   */
  auth: AuthMode;
  /**
   * Host names (no port) a request may name in its `Host` header besides `localhost` and the
   * loopback addresses, which are always allowed: the address the server is bound to, and the
   * names a reverse proxy passes on. Ignored when `auth` is `off`.
   * @defaultValue none
   */
  allowedHosts?: readonly string[];
  /**
   * Lets a request that must show an API key (it carries one, or comes from an address that is
   * not loopback) name any `Host`, the key being verified as usual: for a server reachable from
   * other machines under names it cannot know. A request trusted without a key (a loopback peer
   * in protected mode) must always name an allowed host.
   * @defaultValue false
   */
  anyHostWithKey?: boolean;
  /**
   * The peer address of a request (the app passes one built on `getConnInfo`); an undefined
   * address is not loopback.
   * @defaultValue none: every request counts as remote
   */
  getRemoteAddress?: (c: Context) => string | undefined;
  /** `/metrics`; without it `/metrics` answers 404. */
  metrics?: Pick<Metrics, 'contentType' | 'render' | 'json'>;
  /**
   * `GET /api/v1/stats/history`: the per-minute throughput and durations this process saw
   * (`gq serve` passes a `ThroughputHistory` fed by its job events); without it that route
   * answers 404.
   */
  history?: Pick<ThroughputHistory, 'snapshot'>;
  /** `/health` and `/ready`; without it the service is always ready. */
  health?: Pick<HealthChecker, 'check' | 'isReady'>;
  /**
   * The local worker pool, for `/api/v1/stats` and `/api/v1/workers`: its busy and total slots,
   * and what `GET /api/v1/workers` lists of it.
   */
  workers?: () => LocalWorkers;
  /**
   * The remote workers heard from through the lease API; pass the one a `HandlerCoverage`
   * reads, so waiting reasons see them. @defaultValue a registry of its own
   */
  workerRegistry?: WorkerRegistry;
  /**
   * Why a runnable job is not running, shown as `waiting_reason` on jobs read through the API
   * (get, list, submit). @defaultValue none: no job shows a reason
   */
  waitingReason?: WaitingReasonOf;
  /**
   * Lets anyone read `/metrics` without a key, as a Prometheus scraper on a trusted network
   * does; the request checks (web pages of other origins, foreign `Host` names) still apply.
   * @defaultValue false
   */
  metricsPublic?: boolean;
  /**
   * Called after a schedule was created, changed, paused, resumed or deleted through the API
   * (`gq serve` passes its `ScheduleTicker.refresh`, so the change applies at once).
   * @defaultValue none
   */
  schedulesChanged?: () => Promise<void>;
  /** @defaultValue noopLogger */
  logger?: Logger;
  /** @defaultValue systemClock */
  clock?: Clock;
  /** Largest request body; larger ones get 413. @defaultValue 1_048_576 (1 MiB) */
  bodyLimitBytes?: number;
  /** Longest wait of `/jobs/:id/wait` and of a claim's long-poll. @defaultValue 300_000 (5 min) */
  maxWaitMs?: number;
  /**
   * Waits of `/jobs/:id/wait` held open at once; past it a wait that would have to wait answers
   * 503 with `Retry-After`. @defaultValue 1000
   */
  maxJobWaits?: number;
  /**
   * Claims of the lease API waiting for work at once; past it a claim that finds no job answers
   * 503 with `Retry-After` instead of waiting. Apart from {@link ApiOptions.maxJobWaits}, so
   * waiting clients never keep workers from claiming. @defaultValue 1000
   */
  maxClaimWaits?: number;
  /** Lease given to remote workers that do not ask for one. @defaultValue 30_000 */
  leaseMs?: number;
  /** Keep-alive comment interval of the SSE stream. @defaultValue 30_000 */
  sseKeepAliveMs?: number;
  /** Event streams open at once; past it `GET /events` answers 503. @defaultValue 1000 */
  sseMaxStreams?: number;
  /**
   * Bytes of events queued for one stream, counting what its socket has not taken; a client that
   * falls further behind gets a final `overflow` event and is disconnected (it may reconnect).
   * @defaultValue 8_388_608 (8 MiB)
   */
  sseBufferBytes?: number;
  /**
   * The server's version, as `GET /api/v1` reports it (`gq serve` passes its own).
   * @defaultValue the version of `@gopherqueue/api`
   */
  version?: string;
}

/** The local worker pool as the API shows it. */
export interface LocalWorkers {
  /** Handlers running now. */
  busy: number;
  /** Handlers it may run at once. */
  concurrency: number;
  /** Its lease-holder id. */
  id?: string;
  /** The machine's name. */
  host?: string;
  /** Types it claims; undefined: every type. */
  types?: readonly string[];
  /** The jobs it is running. */
  jobs?: readonly Pick<Job, 'id' | 'queue'>[];
}

/** {@link ApiOptions} with every default filled in. */
export interface ResolvedApiOptions extends ApiOptions {
  workerRegistry: WorkerRegistry;
  metricsPublic: boolean;
  /** {@link ApiOptions.allowedHosts} normalized by {@link normalizeHostName}. */
  hostNames: ReadonlySet<string>;
  anyHostWithKey: boolean;
  logger: Logger;
  clock: Clock;
  bodyLimitBytes: number;
  maxWaitMs: number;
  maxJobWaits: number;
  maxClaimWaits: number;
  leaseMs: number;
  sseKeepAliveMs: number;
  sseMaxStreams: number;
  sseBufferBytes: number;
  version: string;
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number; got ${String(value)}`);
  }
  return value;
}

/** An interval runs on one timer, which cannot wait longer than 2^31-1 ms. */
function atMostOneTimer(value: number): number {
  if (value > MAX_TIMER_MS) {
    throw new RangeError(`sseKeepAliveMs must be at most ${MAX_TIMER_MS}; got ${String(value)}`);
  }
  return value;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer; got ${String(value)}`);
  }
  return value;
}

/**
 * Fills the defaults of `options` and validates them.
 * @throws TypeError for a missing store, scheduler or events, or an unknown auth mode
 * @throws RangeError for a limit that is not a positive number or an invalid allowed host
 */
export function resolveApiOptions(options: ApiOptions): ResolvedApiOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createApi needs an options object');
  }
  for (const name of ['store', 'scheduler', 'events'] as const) {
    if (typeof options[name] !== 'object' || options[name] === null) {
      throw new TypeError(`createApi needs options.${name}`);
    }
  }
  if (options.auth !== 'off' && options.auth !== 'protected' && options.auth !== 'required') {
    throw new TypeError(
      `options.auth must be 'off', 'protected' or 'required'; got ${JSON.stringify(options.auth)}`,
    );
  }
  const version: unknown = options.version ?? API_PACKAGE_VERSION;
  if (typeof version !== 'string' || version === '' || version.length > 64) {
    throw new TypeError(`options.version must be a version string; got ${JSON.stringify(version)}`);
  }
  const allowedHosts: unknown = options.allowedHosts ?? [];
  if (!Array.isArray(allowedHosts)) {
    throw new TypeError('options.allowedHosts must be an array of host names');
  }
  return {
    ...options,
    hostNames: new Set(allowedHosts.map((name) => normalizeHostName(name))),
    anyHostWithKey: options.anyHostWithKey === true,
    workerRegistry:
      options.workerRegistry ?? new WorkerRegistry({ clock: options.clock ?? systemClock }),
    metricsPublic: options.metricsPublic === true,
    logger: (options.logger ?? noopLogger).child({ component: 'api' }),
    clock: options.clock ?? systemClock,
    bodyLimitBytes: positive('bodyLimitBytes', options.bodyLimitBytes ?? 1024 * 1024),
    maxWaitMs: positive('maxWaitMs', options.maxWaitMs ?? 5 * 60_000),
    maxJobWaits: positiveInt('maxJobWaits', options.maxJobWaits ?? 1000),
    maxClaimWaits: positiveInt('maxClaimWaits', options.maxClaimWaits ?? 1000),
    leaseMs: positive('leaseMs', options.leaseMs ?? 30_000),
    sseKeepAliveMs: atMostOneTimer(positive('sseKeepAliveMs', options.sseKeepAliveMs ?? 30_000)),
    sseMaxStreams: positiveInt('sseMaxStreams', options.sseMaxStreams ?? 1000),
    sseBufferBytes: positiveInt('sseBufferBytes', options.sseBufferBytes ?? 8 * 1024 * 1024),
    version,
  };
}
