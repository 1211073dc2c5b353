import type { GopherQueueClient, SseEvent, WireJob } from '@gopherqueue/client';
import type { Clock, JobState, Logger } from '@gopherqueue/core';
import type { ComponentStatus } from '@gopherqueue/core';
import { errorMessage } from './failure-report.js';
import { retryDelayMs, sleep } from './sleep.js';
import type { JobChange } from './work-source.js';

/** Options of {@link JobChangeStream}. */
export interface JobChangeStreamOptions {
  client: GopherQueueClient;
  /** The worker whose held jobs are watched. */
  workerId: string;
  listener: (change: JobChange) => void;
  clock: Clock;
  logger: Logger;
}

/** A job event of the stream as a change: its state after it, and who runs it then. */
function changeOf(event: SseEvent): JobChange | undefined {
  if (!event.event.startsWith('job.') || typeof event.data !== 'object' || event.data === null) {
    return undefined;
  }
  const job = event.data as Partial<WireJob>;
  if (typeof job.id !== 'string') return undefined;
  const state: JobState | 'deleted' | undefined =
    event.event === 'job.deleted' ? 'deleted' : job.state;
  const change: JobChange = { id: job.id, state };
  if (typeof job.attempt === 'number') change.attempt = job.attempt;
  if (typeof job.worker_id === 'string') change.workerId = job.worker_id;
  return change;
}

/**
 * The changes of the jobs one remote worker holds, as the server's event stream filtered to them
 * (`GET /api/v1/events?worker_id=`) tells them: ONE connection per worker, however many jobs it
 * runs, so a cancel reaches the handler as soon as the server knows of it. A dropped connection is
 * opened again (250 ms doubling to 5 s between tries); meanwhile the lease heartbeat still finds
 * a lost lease, only later.
 */
export class JobChangeStream {
  readonly #options: JobChangeStreamOptions;
  readonly #stop = new AbortController();
  readonly #opened: Promise<void>;
  #markOpened!: () => void;
  #loop: Promise<void> | undefined;
  #status: ComponentStatus = 'stopped';

  constructor(options: JobChangeStreamOptions) {
    this.#options = options;
    this.#opened = new Promise((resolve) => {
      this.#markOpened = resolve;
    });
  }

  /** Resolves once the first connection was made, or failed: claims wait for it. */
  get opened(): Promise<void> {
    return this.#opened;
  }

  /** `running` from {@link JobChangeStream.start} until {@link JobChangeStream.stop} ends it. */
  get status(): ComponentStatus {
    return this.#status;
  }

  /** Connects, and reconnects until {@link JobChangeStream.stop}. */
  start(): void {
    if (this.#loop !== undefined) return;
    this.#status = 'running';
    this.#loop = this.#run();
  }

  /** Closes the connection; resolves once the stream stopped. It does not start again. */
  async stop(): Promise<void> {
    if (this.#status === 'running') this.#status = 'stopping';
    this.#stop.abort();
    this.#markOpened();
    await this.#loop;
    this.#status = 'stopped';
  }

  async #run(): Promise<void> {
    const { client, workerId, listener, clock, logger } = this.#options;
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        for await (const event of client.events({ workerId, signal })) {
          if (event.event === 'connected') {
            failures = 0;
            this.#markOpened();
            continue;
          }
          const change = changeOf(event);
          if (change !== undefined) listener(change);
        }
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        // Said once per outage; the claims, which fail too while the server is away, say the rest.
        const fields = { error: errorMessage(err), failures };
        if (failures === 1) logger.warn('job event stream failed; reconnecting', fields);
        else logger.debug('job event stream failed; reconnecting', fields);
      }
      this.#markOpened();
      await sleep(clock, retryDelayMs(failures), signal);
    }
  }
}
