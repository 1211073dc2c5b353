import { isGqError, ErrorCode, type Clock, type Logger, type Store } from '@gopherqueue/core';

/** Options of {@link Heartbeat}. */
export interface HeartbeatOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  jobId: string;
  token: string;
  leaseMs: number;
  intervalMs: number;
  /** Called once when the store says the lease is gone (cancelled or taken back). */
  onLeaseLost: () => void;
}

/**
 * Renews one job's lease every `intervalMs` until stopped. Beats never overlap: the next one is
 * armed when the previous one answered. A transient store error is logged and the beat retried
 * at the next interval; `GQ_LEASE_LOST` ends the heartbeat and calls `onLeaseLost`.
 */
export class Heartbeat {
  readonly #options: HeartbeatOptions;
  #cancelTimer: (() => void) | undefined;
  #inFlight: Promise<void> | undefined;
  #stopped = false;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  /** Arms the first beat. */
  start(): void {
    this.#arm();
  }

  /** Stops beating; resolves when a beat under way has answered. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    await this.#inFlight;
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#cancelTimer = this.#options.clock.setTimer(() => {
      this.#cancelTimer = undefined;
      this.#inFlight = this.#beat().finally(() => {
        this.#inFlight = undefined;
      });
    }, this.#options.intervalMs);
  }

  async #beat(): Promise<void> {
    const { store, jobId, token, leaseMs, logger } = this.#options;
    try {
      await store.heartbeat(jobId, token, { leaseMs });
    } catch (err) {
      if (isGqError(err, ErrorCode.LEASE_LOST)) {
        this.#stopped = true;
        this.#options.onLeaseLost();
        return;
      }
      logger.warn('heartbeat failed; retrying at the next interval', { err: String(err) });
    }
    this.#arm();
  }
}
