/** One queued call: its input and how to settle its promise. */
export interface BatchItem<I, O> {
  input: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

/**
 * Group commit for calls that arrive together: while a flush is running, new calls queue; the next
 * flush takes everything queued (up to `maxBatch`) as one unit, so many concurrent callers share
 * one transaction and one WAL flush. A lone call is flushed at once, so it adds no latency.
 * `flush` settles every item it is given, and at most `parallel` flushes run at a time.
 */
export class Batcher<I, O> {
  readonly #flush: (items: BatchItem<I, O>[]) => Promise<void>;
  readonly #maxBatch: number;
  readonly #parallel: number;
  #queue: BatchItem<I, O>[] = [];
  #running = 0;

  constructor(flush: (items: BatchItem<I, O>[]) => Promise<void>, maxBatch = 256, parallel = 2) {
    this.#flush = flush;
    this.#maxBatch = maxBatch;
    this.#parallel = parallel;
  }

  run(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#running < this.#parallel && this.#queue.length > 0) {
      const items = this.#queue.splice(0, this.#maxBatch);
      this.#running++;
      this.#flush(items)
        .catch((err: unknown) => {
          for (const item of items) item.reject(err);
        })
        .finally(() => {
          this.#running--;
          this.#pump();
        });
    }
  }
}
