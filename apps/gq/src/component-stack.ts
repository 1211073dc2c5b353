import type { Component, ComponentStatus, Logger } from '@gopherqueue/core';

/** One started part and how to stop it. */
interface Started {
  name: string;
  stop: () => Promise<void> | void;
}

/**
 * What a composition root started, in order, so that it stops in reverse: the last part started
 * (the one that depends on the others) stops first. Each start and stop is logged at debug level
 * with the part's name. A part that fails to stop is logged and the others still stop.
 */
export class ComponentStack {
  readonly #logger: Logger;
  readonly #started: Started[] = [];
  #status: ComponentStatus = 'starting';
  #stopping: Promise<void> | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * `starting` while parts are added, `running` once {@link ComponentStack.ready}, then
   * `stopping` and `stopped`.
   */
  get status(): ComponentStatus {
    return this.#status;
  }

  /** Starts `component` and stacks its stop. */
  async start(name: string, component: Pick<Component, 'start' | 'stop'>): Promise<void> {
    await component.start();
    this.started(name, () => component.stop());
  }

  /** Stacks the undoing of a part already started or opened (a store, a bound port). */
  started(name: string, stop: () => Promise<void> | void): void {
    this.#started.push({ name, stop });
    this.#logger.debug('started', { component: name });
  }

  /** Every part is started. */
  ready(): void {
    if (this.#status === 'starting') this.#status = 'running';
  }

  /** Stops every part, the last started first. Calling it again resolves with the first call. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    this.#status = 'stopping';
    for (const { name, stop } of this.#started.reverse().splice(0)) {
      try {
        await stop();
        this.#logger.debug('stopped', { component: name });
      } catch (err) {
        this.#logger.error('error while stopping', {
          component: name,
          error: (err as Error).message,
        });
      }
    }
    this.#status = 'stopped';
  }
}
