import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { GopherQueueClient, WireLeasedJob } from '@gopherqueue/api';
import { ErrorCode, GqError, noopLogger, setLongTimeout, type Logger } from '@gopherqueue/core';
import type { HandlerMap } from './load-handlers.js';
import { RemoteAttempt, reportEnd } from './remote-attempt.js';

/** Options of {@link RemoteWorker}; the flags of `gq work`. */
export interface RemoteWorkerOptions {
  /** A client of the server to pull jobs from. */
  client: GopherQueueClient;
  /** Job types mapped to handlers; only these types are claimed. */
  handlers: HandlerMap;
  /** Handlers running at once. @defaultValue 10 */
  concurrency?: number;
  /** Claim only these types (each must have a handler). @defaultValue every handler's type */
  types?: readonly string[];
  /** Claim only from these queues. @defaultValue every queue */
  queues?: readonly string[];
  /** Lease asked for at claim and renewed by heartbeat. @defaultValue 30_000 */
  leaseMs?: number;
  /** How long one claim long-polls the server. @defaultValue 30_000 */
  pollMs?: number;
  /** How long {@link RemoteWorker.stop} lets running handlers finish. @defaultValue 30_000 */
  shutdownTimeoutMs?: number;
  /** How long an aborted handler may take to return before it is abandoned. @defaultValue 5_000 */
  graceMs?: number;
  /** Recorded as the lease holder. @defaultValue `remote-<uuid>` */
  workerId?: string;
  /** @defaultValue noopLogger */
  logger?: Logger;
}

/**
 * A worker in another process (`gq work`): claims jobs over HTTP with a lease by long-poll, runs
 * them (see {@link RemoteAttempt}), and on stop drains running handlers before aborting them.
 * Jobs whose handlers are aborted by the stop, and jobs claimed but not started, are released
 * back to `scheduled` without spending their attempt.
 */
export class RemoteWorker {
  readonly workerId: string;
  readonly #client: GopherQueueClient;
  readonly #handlers: HandlerMap;
  readonly #types: string[];
  readonly #queues: string[] | undefined;
  readonly #concurrency: number;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #shutdownTimeoutMs: number;
  readonly #graceMs: number;
  readonly #logger: Logger;
  readonly #running = new Map<
    string,
    { attempt: RemoteAttempt | undefined; done: Promise<void> }
  >();
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #slotFreed: (() => void) | undefined;
  #completed = 0;

  /** @throws TypeError or RangeError naming the offending option. */
  constructor(options: RemoteWorkerOptions) {
    this.#client = options.client;
    this.#handlers = options.handlers;
    const known = Object.keys(options.handlers);
    this.#types = options.types === undefined ? known : [...options.types];
    if (this.#types.length === 0) throw new TypeError('a remote worker needs at least one handler');
    for (const type of this.#types) {
      if (!(type in options.handlers)) throw new RangeError(`no handler for type "${type}"`);
    }
    this.#queues = options.queues === undefined ? undefined : [...options.queues];
    this.#concurrency = options.concurrency ?? 10;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#pollMs = options.pollMs ?? 30_000;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
    this.#graceMs = options.graceMs ?? 5_000;
    this.workerId = options.workerId ?? `remote-${randomUUID()}`;
    this.#logger = (options.logger ?? noopLogger).child({ workerId: this.workerId });
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new RangeError(`concurrency must be an integer >= 1; got ${this.#concurrency}`);
    }
    if (this.#leaseMs < 1000) throw new RangeError(`leaseMs must be >= 1000; got ${this.#leaseMs}`);
  }

  /** The types this worker claims. */
  get types(): readonly string[] {
    return this.#types;
  }

  /** Busy slots, the limit, and jobs finished so far. */
  stats(): { busy: number; concurrency: number; finished: number } {
    return { busy: this.#running.size, concurrency: this.#concurrency, finished: this.#completed };
  }

  /** Starts claiming. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Stops claiming, lets running handlers finish for up to the shutdown timeout, then aborts the
   * rest and waits for them to report (a handler that fails once aborted has its job released,
   * not failed). Safe to call twice.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    this.#stop.abort(new GqError(ErrorCode.SHUTTING_DOWN, 'the worker is stopping'));
    this.#slotFreed?.();
    await this.#loop;
    if (this.#running.size === 0) return;
    this.#logger.info('waiting for running jobs', { running: this.#running.size });
    let cancelTimer: (() => void) | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      cancelTimer = setLongTimeout(() => {
        resolve('timeout');
      }, this.#shutdownTimeoutMs);
    });
    const all = Promise.all([...this.#running.values()].map((r) => r.done));
    const first = await Promise.race([all.then(() => 'done' as const), timedOut]);
    cancelTimer?.();
    if (first === 'timeout') {
      this.#logger.warn('shutdown timeout: aborting running jobs', { running: this.#running.size });
      for (const { attempt } of this.#running.values()) {
        attempt?.abort(
          new GqError(ErrorCode.SHUTTING_DOWN, 'the worker shut down before the job finished'),
        );
      }
      await Promise.all([...this.#running.values()].map((r) => r.done));
    }
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      const free = this.#concurrency - this.#running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          this.#slotFreed = resolve;
        });
        this.#slotFreed = undefined;
        continue;
      }
      let jobs: WireLeasedJob[];
      try {
        jobs = await this.#client.claim({
          workerId: this.workerId,
          limit: free,
          lease: this.#leaseMs,
          wait: this.#pollMs,
          types: this.#types,
          // Shown by the server's `GET /api/v1/workers` and summed in its stats.
          host: hostname(),
          concurrency: this.#concurrency,
          ...(this.#queues === undefined ? {} : { queues: this.#queues }),
          signal,
        });
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        this.#logger.warn('claim failed; retrying', { error: (err as Error).message, failures });
        await sleep(Math.min(5_000, 250 * 2 ** Math.min(failures, 5)), signal);
        continue;
      }
      for (const job of jobs) this.#launch(job, signal.aborted);
    }
  }

  /** Runs one claimed job; one claimed while stopping, or with no handler, is released at once. */
  #launch(job: WireLeasedJob, stopping: boolean): void {
    const handler = this.#handlers[job.type];
    if (stopping || handler === undefined) {
      const logger = this.#logger.child({ jobId: job.id, type: job.type, attempt: job.attempt });
      this.#track(job.id, undefined, reportEnd(this.#client, job, { kind: 'release' }, logger));
      return;
    }
    const attempt = new RemoteAttempt(job, {
      client: this.#client,
      handler,
      leaseMs: this.#leaseMs,
      graceMs: this.#graceMs,
      logger: this.#logger,
    });
    this.#track(job.id, attempt, attempt.run());
  }

  #track(id: string, attempt: RemoteAttempt | undefined, run: Promise<void>): void {
    const done = run.finally(() => {
      this.#running.delete(id);
      if (attempt !== undefined) this.#completed++;
      this.#slotFreed?.();
    });
    this.#running.set(id, { attempt, done });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
