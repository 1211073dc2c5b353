import { HttpError } from './errors.js';

/** Seconds a client refused at a long-poll cap is told to wait (`Retry-After`) before trying again. */
export const LONG_POLL_RETRY_AFTER_S = 5;

/**
 * Caps how many requests of one kind (waits for a job, claims waiting for work) an API holds
 * open at once: each held request keeps a socket, a timer and listeners, so without a cap clients
 * that park requests can exhaust the server's memory and file descriptors.
 */
export class LongPolls {
  readonly #max: number;
  readonly #refusal: () => HttpError;
  #held = 0;

  /**
   * @param max the most held at once
   * @param refusal the error a request past the cap is answered with
   */
  constructor(max: number, refusal: (max: number) => HttpError) {
    this.#max = max;
    this.#refusal = () => refusal(max);
  }

  /** Requests held now, counted against the cap. */
  get held(): number {
    return this.#held;
  }

  /**
   * Takes a slot for one request and returns what gives it back (calling it again does nothing).
   * @throws HttpError the refusal given to the constructor when every slot is taken
   */
  take(): () => void {
    if (this.#held >= this.#max) throw this.#refusal();
    this.#held++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.#held--;
    };
  }
}

/** The 503 of a long poll past its cap: `what` names the requests, `detail` the cap's field. */
export function longPollRefusal(what: string, detail: string): (max: number) => HttpError {
  return (max) =>
    new HttpError(
      'service_unavailable',
      `too many ${what} (at most ${max}); try again later`,
      { [detail]: max },
      { 'Retry-After': String(LONG_POLL_RETRY_AFTER_S) },
    );
}
