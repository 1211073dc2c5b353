import type { Clock, ComponentStatus, Logger } from '@gopherqueue/core';

/**
 * Runs `tick` every `intervalMs` on the injected clock, never two at once: the next timer is set
 * only after the previous tick settled. A tick that throws is logged and the loop goes on.
 */
export class TimerLoop {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #tick: () => Promise<unknown>;
  #started = false;
  #status: ComponentStatus = 'stopped';
  /** Counts starts and stops, so a stop that settles late knows a start overtook it. */
  #turn = 0;
  #stopping: Promise<void> = Promise.resolve();
  #cancelTimer: (() => void) | undefined;
  #inFlight: Promise<void> | undefined;

  constructor(clock: Clock, logger: Logger, intervalMs: number, tick: () => Promise<unknown>) {
    this.#clock = clock;
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#tick = tick;
  }

  /** `running` from start(), `stopping` while a tick in flight settles, then `stopped`. */
  get status(): ComponentStatus {
    return this.#status;
  }

  /** Starts the loop; the first tick runs one interval from now. Starting twice does nothing. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#status = 'running';
    this.#turn++;
    // A tick still settling from before a stop() sets the next timer itself.
    if (this.#inFlight === undefined) this.#schedule();
  }

  /**
   * Stops the loop and waits for a tick in flight to settle. Calling it again while stopped
   * resolves with the first call.
   */
  stop(): Promise<void> {
    if (!this.#started) return this.#stopping;
    this.#started = false;
    this.#status = 'stopping';
    const turn = ++this.#turn;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#stopping = (this.#inFlight ?? Promise.resolve()).then(() => {
      if (turn === this.#turn) this.#status = 'stopped';
    });
    return this.#stopping;
  }

  #schedule(): void {
    this.#cancelTimer = this.#clock.setTimer(() => {
      this.#cancelTimer = undefined;
      this.#inFlight = this.#run();
    }, this.#intervalMs);
  }

  async #run(): Promise<void> {
    try {
      await this.#tick();
    } catch (err) {
      this.#logger.error('tick failed', { err });
    } finally {
      this.#inFlight = undefined;
      if (this.#started && this.#cancelTimer === undefined) this.#schedule();
    }
  }
}
