/**
 * Where a long-running component is in its life: `stopped` until started and once a stop has
 * finished, `starting` while its start is under way, `running`, and `stopping` while its stop waits
 * for the work in flight.
 */
export type ComponentStatus = 'stopped' | 'starting' | 'running' | 'stopping';

/**
 * The shape every long-running component shares (`Scheduler`, `JobEventRelay`, `WorkerPool`,
 * `Recoverer`, `Janitor`): `start()` begins its work, `stop()` ends it and resolves once the work
 * in flight has settled, and `status` says where it is. Starting a started component and stopping
 * a stopped one change nothing. Whoever composes them starts them in dependency order and stops
 * them in reverse.
 */
export interface Component {
  /** Where it is now. */
  readonly status: ComponentStatus;
  /** Begins its work; a component with nothing to wait for starts synchronously. */
  start(): void | Promise<void>;
  /** Ends its work; resolves once what was in flight has settled. */
  stop(): Promise<void>;
}
