import {
  EXPIRED_REASON,
  noopLogger,
  TypedEmitter,
  type Component,
  type ComponentStatus,
  type Job,
  type JobEventName,
  type JobEvents,
  type JobState,
  type Logger,
  type Store,
  type StoreChange,
} from '@gopherqueue/core';

/** Options of {@link JobEventRelay}. */
export interface JobEventRelayOptions {
  /** The store whose change feed becomes events. */
  store: Store;
  /** Where listener errors and failed look-ups are logged. @defaultValue noopLogger */
  logger?: Logger;
}

const FINISHED_EVENTS: Partial<Record<JobState, JobEventName>> = {
  completed: 'job:completed',
  retrying: 'job:retrying',
  failed: 'job:failed',
  dead_letter: 'job:dead_letter',
  cancelled: 'job:cancelled',
};

const REQUEUABLE: ReadonlySet<JobState> = new Set([
  'completed',
  'failed',
  'dead_letter',
  'cancelled',
]);

/**
 * The event a store change stands for, or undefined when it is not a lifecycle event (a
 * heartbeat, a dependency gate opening, a queue change). A running job given back to `scheduled`
 * may be `job:snoozed`: it is, if {@link isSnoozed} holds for the job after the change.
 */
export function eventForChange(change: StoreChange): JobEventName | undefined {
  switch (change.kind) {
    case 'created':
      return 'job:created';
    case 'progress':
      return 'job:progress';
    case 'deleted':
      return 'job:deleted';
    case 'queue':
      return undefined;
    case 'updated': {
      const { state, previous } = change;
      if (state === undefined) return undefined;
      if (state === 'running') return previous === 'running' ? undefined : 'job:started';
      if (state === 'scheduled') {
        if (previous === 'running') return 'job:snoozed';
        return previous !== undefined && REQUEUABLE.has(previous) ? 'job:retried' : undefined;
      }
      return previous === state ? undefined : FINISHED_EVENTS[state];
    }
  }
}

/**
 * True when a job released from `running` was put off (its `runAt` after the release, a snooze),
 * false when it was given back to run at once (a worker stopping: not a lifecycle event).
 */
export function isSnoozed(job: Job): boolean {
  return job.state === 'scheduled' && job.runAt > job.updatedAt;
}

/**
 * Turns the store's change feed into typed job events (`job:created`, `job:started`,
 * `job:progress`, `job:completed`, `job:retrying`, `job:failed`, `job:dead_letter`,
 * `job:cancelled`, `job:retried`, `job:snoozed`, `job:deleted`, and `job:expired` after the
 * `job:cancelled` of a job cancelled as expired), in the order the changes were made. A change
 * that does not carry its job is completed with `store.get`.
 */
export class JobEventRelay extends TypedEmitter<JobEvents> implements Component {
  readonly #store: Store;
  readonly #logger: Logger;
  #unsubscribe: (() => void) | undefined;
  /** Look-ups run in order so events keep the feed's order. */
  #chain: Promise<void> = Promise.resolve();
  #status: ComponentStatus = 'stopped';
  /** Counts starts and stops, so a stop that settles late knows a start overtook it. */
  #turn = 0;
  #stopping: Promise<void> = Promise.resolve();

  constructor(options: JobEventRelayOptions) {
    super();
    if (typeof options !== 'object' || options === null || typeof options.store !== 'object') {
      throw new TypeError('JobEventRelay needs options with a store');
    }
    this.#store = options.store;
    this.#logger = (options.logger ?? noopLogger).child({ component: 'job-event-relay' });
  }

  /**
   * `running` from {@link JobEventRelay.start} (it starts at once), `stopping` while the events
   * already under way are emitted, then `stopped`.
   */
  get status(): ComponentStatus {
    return this.#status;
  }

  /** Starts relaying. Starting it again while it runs changes nothing. */
  start(): void {
    if (this.#unsubscribe !== undefined) return;
    this.#status = 'running';
    this.#turn++;
    this.#unsubscribe = this.#store.subscribe((change) => {
      this.#onChange(change);
    });
  }

  /**
   * Stops relaying; resolves once the events already under way were emitted. Calling it again
   * while stopped resolves with the first call.
   */
  stop(): Promise<void> {
    if (this.#unsubscribe === undefined) return this.#stopping;
    this.#unsubscribe();
    this.#unsubscribe = undefined;
    this.#status = 'stopping';
    const turn = ++this.#turn;
    this.#stopping = this.#chain.then(() => {
      if (turn === this.#turn) this.#status = 'stopped';
    });
    return this.#stopping;
  }

  #onChange(change: StoreChange): void {
    const event = eventForChange(change);
    // Nobody listens for it: no look-up, no promise in the chain.
    if (event === undefined) return;
    const wanted =
      this.listenerCount(event) > 0 ||
      (event === 'job:cancelled' && this.listenerCount('job:expired') > 0);
    if (!wanted) return;
    const { job } = change;
    if (job !== undefined) {
      this.#chain = this.#chain.then(() => {
        this.#emitSafely(event, job);
      });
      return;
    }
    if (change.kind === 'deleted') return;
    this.#chain = this.#chain.then(async () => {
      try {
        const fetched = await this.#store.get(change.id);
        if (fetched !== undefined) this.#emitSafely(event, fetched);
      } catch (err) {
        this.#logger.warn('could not read a changed job', { jobId: change.id, err: String(err) });
      }
    });
  }

  #emitSafely(event: JobEventName, job: Job): void {
    if (event === 'job:snoozed' && !isSnoozed(job)) return;
    try {
      this.emit(event, job);
    } catch (err) {
      this.#logger.error('a job event listener threw', { event, jobId: job.id, err: String(err) });
    }
    if (event === 'job:cancelled' && job.cancelReason === EXPIRED_REASON) {
      this.#emitSafely('job:expired', job);
    }
  }
}
