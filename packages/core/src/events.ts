import { EventEmitter } from 'node:events';
import type { Job } from './job.js';

/** Job lifecycle events and what each carries. */
export interface JobEvents {
  'job:created': [job: Job];
  'job:started': [job: Job];
  'job:progress': [job: Job];
  'job:completed': [job: Job];
  'job:retrying': [job: Job];
  'job:failed': [job: Job];
  'job:dead_letter': [job: Job];
  'job:cancelled': [job: Job];
  'job:retried': [job: Job];
  /** A running job went back to waiting, put off without spending an attempt (a snooze). */
  'job:snoozed': [job: Job];
  'job:deleted': [job: Job];
  /**
   * A submit returned this existing job instead of creating one: an idempotency or unique key
   * matched it, or a debounce key (the job as the submit left it). Emitted by whoever took the
   * submit (the API), not by the store.
   */
  'job:deduplicated': [job: Job];
  /** A job was cancelled as `expired` (besides its `job:cancelled`). */
  'job:expired': [job: Job];
}

/** Names of {@link JobEvents}. */
export type JobEventName = keyof JobEvents;

/** A typed wrapper over Node's EventEmitter. */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  on<K extends keyof Events & string>(
    event: K,
    listener: (...args: Events[K]) => void,
  ): () => void {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return () => this.off(event, listener);
  }

  once<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): void {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
  }

  off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): void {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
  }

  emit<K extends keyof Events & string>(event: K, ...args: Events[K]): boolean {
    return this.#emitter.emit(event, ...args);
  }

  listenerCount(event: keyof Events & string): number {
    return this.#emitter.listenerCount(event);
  }
}
