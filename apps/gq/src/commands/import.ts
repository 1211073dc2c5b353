import type { Job, Store } from '@gopherqueue/core';
import type { CommandModule } from 'yargs';
import { CliError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { JobLineError, ndjsonLines, parseJobLine } from '../job-ndjson.js';
import {
  DEFAULT_BATCH_SIZE,
  describeCopy,
  restoreInBatches,
  storeFlags,
  storeOptions,
  withStore,
  type CopyProgress,
  type StoreArgs,
} from '../job-transfer.js';
import { MAX_IMPORT_BATCH, positiveIntFlag } from '../parse-flags.js';

interface ImportArgs extends StoreArgs {
  batchSize: number;
}

/**
 * The jobs of an NDJSON stream, in order, each checked by {@link parseJobLine}; blank lines are
 * skipped, and a line longer than `MAX_LINE_BYTES` is refused once that much of it was read.
 * `lines` gets the line of each job.
 */
async function* readJobs(io: CliIo, lines: WeakMap<Job, number>): AsyncIterable<Job> {
  for await (const [text, line] of ndjsonLines(io.stdin)) {
    if (text.trim() === '') continue;
    const job = parseJobLine(text, line);
    lines.set(job, line);
    yield job;
  }
}

/**
 * A pending job of an import that waits on a job neither in the store nor in the import, or one
 * held back waiting while more than a batch of jobs waited. `held` jobs waiting on jobs not
 * written were left out; `batchLine`, when set, is the first line of the batch being read then,
 * of which nothing was written.
 */
class UnmetDependencyError extends JobLineError {
  readonly held: number;
  readonly batchLine: number | undefined;

  constructor(line: number, message: string, held: number, batchLine?: number) {
    super(line, message);
    this.held = held;
    this.batchLine = batchLine;
  }
}

/** A job held back until the jobs it waits on are written, with its line. */
interface Held {
  job: Job;
  line: number;
  /** The ids it waits on that are neither stored nor written yet. */
  missing: Set<string>;
}

/** The jobs `job` waits on: its `waitingOn` while it is `pending` (the only state that waits). */
function waitsOn(job: Job): readonly string[] {
  return job.state === 'pending' ? job.waitingOn : [];
}

/**
 * Makes an import write a pending job only with every job it waits on, as a submit accepts a
 * dependency only on a stored job (else `GQ_NOT_FOUND`): a job it waits on must be in the store,
 * in the same batch, or come later in the import, and the job is held back until it comes (an
 * export lists jobs by id, and a job's id may sort before the id of one it waits on: a producer's
 * clock behind, an id given by the caller). A pending job waiting on a job that never comes would
 * wait forever: it is refused, naming its line and the missing id. So is a job held while more
 * than `limit` jobs are held at once (the batch size: what an import holds in memory). Only
 * `waitingOn` of a pending job is checked: `dependsOn` of a job in another state is history, and
 * may name a job since purged (a retry treats a missing dependency as met).
 */
class DependencyCheck {
  readonly #store: Store;
  readonly #lines: WeakMap<Job, number>;
  readonly #limit: number;
  /** Held jobs by id. */
  readonly #held = new Map<string, Held>();
  /** For each id not written yet, the held jobs waiting on it. */
  readonly #awaited = new Map<string, Set<string>>();

  constructor(store: Store, lines: WeakMap<Job, number>, limit: number) {
    this.#store = store;
    this.#lines = lines;
    this.#limit = limit;
  }

  /**
   * The jobs of `batch` to write: those whose jobs waited on are stored or in the batch (and not
   * held), followed by the held jobs whose last missing job is among them. A job whose id is
   * stored is never held: the store leaves it as it is.
   * @throws UnmetDependencyError when more than the limit of jobs would be held.
   */
  async prepare(batch: Job[]): Promise<Job[]> {
    const waiting = batch.filter((job) => waitsOn(job).length > 0);
    if (waiting.length === 0 && this.#awaited.size === 0) return batch;
    const inBatch = new Set(batch.map((job) => job.id));
    const asked = new Set(waiting.map((job) => job.id));
    for (const job of waiting) {
      for (const id of waitsOn(job)) if (!inBatch.has(id) && !this.#held.has(id)) asked.add(id);
    }
    const stored = new Set<string>();
    if (asked.size > 0) {
      const ids = [...asked];
      const found = await this.#store.getMany(ids);
      for (const [i, id] of ids.entries()) if (found[i] !== undefined) stored.add(id);
    }
    // Held: the jobs waiting on one neither stored nor in the batch, and, in turn, the jobs of
    // the batch waiting on a held one.
    const holding = new Map<string, Held>();
    const dependents = new Map<string, Job[]>();
    for (const job of waiting) {
      if (stored.has(job.id)) continue;
      const missing = new Set<string>();
      for (const id of waitsOn(job)) {
        if (!inBatch.has(id)) {
          if (!stored.has(id)) missing.add(id);
        } else {
          const waiting = dependents.get(id);
          if (waiting === undefined) dependents.set(id, [job]);
          else waiting.push(job);
        }
      }
      if (missing.size > 0) holding.set(job.id, { job, line: this.#lineOf(job), missing });
    }
    const spread = [...holding.keys()];
    for (const id of spread) {
      for (const job of dependents.get(id) ?? []) {
        const held = holding.get(job.id);
        if (held !== undefined) {
          held.missing.add(id);
        } else {
          holding.set(job.id, { job, line: this.#lineOf(job), missing: new Set([id]) });
          spread.push(job.id);
        }
      }
    }
    for (const held of holding.values()) this.#hold(held);
    const out = batch.filter((job) => !holding.has(job.id));
    // Release the held jobs whose last missing job is written now, and those waiting on them.
    const written = out.map((job) => job.id);
    for (const id of written) {
      const waiters = this.#awaited.get(id);
      if (waiters === undefined) continue;
      this.#awaited.delete(id);
      for (const waiter of waiters) {
        const held = this.#held.get(waiter);
        if (held === undefined) continue;
        held.missing.delete(id);
        if (held.missing.size > 0) continue;
        this.#held.delete(waiter);
        out.push(held.job);
        written.push(waiter);
      }
    }
    if (this.#held.size > this.#limit) {
      const [line, id] = this.#first();
      throw new UnmetDependencyError(
        line,
        `waitingOn names job ${id}, which is not in the store nor read yet, and more than ${jobs(this.#limit)} (--batch-size) wait on jobs not read yet`,
        this.#held.size,
        batch[0] === undefined ? line : this.#lineOf(batch[0]),
      );
    }
    return out;
  }

  /**
   * Called at the end of the import.
   * @throws UnmetDependencyError for a job still held: one it waits on never came.
   */
  finish(): void {
    if (this.#held.size === 0) return;
    const [line, id, cycle] = this.#first();
    throw new UnmetDependencyError(
      line,
      cycle
        ? `waitingOn names job ${id}, which waits on it in turn (itself or through others)`
        : `waitingOn names job ${id}, which is neither in the store nor in the import`,
      this.#held.size,
    );
  }

  #hold(held: Held): void {
    this.#held.set(held.job.id, held);
    for (const id of held.missing) {
      const waiters = this.#awaited.get(id);
      if (waiters === undefined) this.#awaited.set(id, new Set([held.job.id]));
      else waiters.add(held.job.id);
    }
  }

  #lineOf(job: Job): number {
    return this.#lines.get(job) ?? 0;
  }

  /**
   * What to name for the held job of the lowest line: the first id it waits on that is not held
   * itself, through held ones (with the line of the last), or, for a cycle, the id that closes it.
   */
  #first(): [line: number, id: string, cycle: boolean] {
    let held = [...this.#held.values()].reduce((a, b) => (b.line < a.line ? b : a));
    const seen = new Set([held.job.id]);
    for (;;) {
      const ids = [...held.missing];
      const absent = ids.find((id) => !this.#held.has(id));
      if (absent !== undefined) return [held.line, absent, false];
      const id = ids[0] as string;
      if (seen.has(id)) return [held.line, id, true];
      seen.add(id);
      held = this.#held.get(id) as Held;
    }
  }
}

/** `"1 job"`, `"2 jobs"`. */
function jobs(n: number): string {
  return `${n} job${n === 1 ? '' : 's'}`;
}

/**
 * `gq import`: reads jobs as `gq export` writes them from standard input and writes those the
 * store does not hold yet as they are (same ids, states, attempts, timestamps, results, errors;
 * a fresh `seq`), leaving a job already stored as it is, so running it twice writes nothing the
 * second time; it says how many jobs were new. Each batch is validated before it is written
 * (every field by its kind and within the bounds a submit applies; a line at most
 * `MAX_LINE_BYTES`): a bad line stops the import, naming it, with only the batches before it
 * written. A pending job waiting on a job neither in the store nor in the import stops it too
 * (see {@link DependencyCheck}), with every job but those waiting written.
 */
export function importCommand(io: CliIo): CommandModule<object, ImportArgs> {
  return {
    command: 'import',
    describe: 'Write the jobs of an NDJSON export (standard input) into a store',
    builder: (args) =>
      storeFlags(args, io, 'write')
        .option('batch-size', {
          type: 'number',
          default: DEFAULT_BATCH_SIZE,
          describe: 'Jobs written per transaction',
        })
        .example(
          '$0 import --store postgres --postgres-url postgres://host/db < jobs.ndjson',
          'move an export into PostgreSQL',
        ) as never,
    handler: async (args) => {
      const batchSize = positiveIntFlag('batch-size', args.batchSize, MAX_IMPORT_BATCH);
      const progress: CopyProgress = { read: 0, written: 0, batches: 0 };
      const create = {
        onCreate: (dataDir: string) => io.stderr(`gq: no store at ${dataDir} yet; creating one\n`),
      };
      await withStore(storeOptions(args, io.cwd, create), async (store) => {
        const lines = new WeakMap<Job, number>();
        const dependencies = new DependencyCheck(store, lines, batchSize);
        try {
          await restoreInBatches(store, readJobs(io, lines), batchSize, progress, (batch) =>
            dependencies.prepare(batch),
          );
          dependencies.finish();
        } catch (err) {
          const again =
            'import leaves jobs already stored as they are, so fix the line and run it again';
          if (err instanceof UnmetDependencyError) {
            const before =
              err.batchLine === undefined ? '' : ` from the lines before line ${err.batchLine}`;
            throw new CliError(
              `${err.message}; imported ${describeCopy(progress, 'the store')}${before}, leaving out the ${jobs(err.held)} waiting on jobs not written (${again})`,
              1,
              { cause: err },
            );
          }
          if (err instanceof JobLineError) {
            throw new CliError(
              `${err.message}; imported ${describeCopy(progress, 'the store')} from the lines before its batch, nothing from line ${err.line} on (${again})`,
              1,
              { cause: err },
            );
          }
          throw err;
        }
      });
      io.stdout(
        `imported ${describeCopy(progress, 'the store')} in ${progress.batches} batch${progress.batches === 1 ? '' : 'es'}\n`,
      );
    },
  };
}
