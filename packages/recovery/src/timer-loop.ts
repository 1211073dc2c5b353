import type { Clock, Logger } from '@gopherqueue/core';

/** Whether a loop is running its ticks. */
export type LoopStatus = 'running' | 'stopped';

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
  #cancelTimer: (() => void) | undefined;
  #inFlight: Promise<void> | undefined;

  constructor(clock: Clock, logger: Logger, intervalMs: number, tick: () => Promise<unknown>) {
    this.#clock = clock;
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#tick = tick;
  }

  get status(): LoopStatus {
    return this.#started ? 'running' : 'stopped';
  }

  /** Starts the loop; the first tick runs one interval from now. Starting twice does nothing. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    // A tick still settling from before a stop() sets the next timer itself.
    if (this.#inFlight === undefined) this.#schedule();
  }

  /** Stops the loop and waits for a tick in flight to settle. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    await this.#inFlight;
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
