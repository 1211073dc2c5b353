import { systemClock, type Clock, type Job, type Store } from '@gopherqueue/core';

/** A job a worker holds: its id and queue. */
export interface HeldJob {
  id: string;
  queue: string;
}

/** What a claim says of the remote worker that sent it. */
export interface ClaimerInfo {
  id: string;
  /** The host name it sent, else its peer address. */
  host: string;
  /** Its peer address, when known. */
  address?: string;
  /** Types it claims; undefined: every type. */
  types?: readonly string[];
  /** Queues it claims from; undefined: every queue. */
  queues?: readonly string[];
  /** Handlers it runs at once, when it said. */
  concurrency?: number;
  /** The lease it asked for; it stays listed for {@link WorkerRegistryOptions.ttlLeases} of them. */
  leaseMs: number;
}

/** A remote worker as {@link WorkerRegistry.list} shows it. */
export interface RemoteWorker extends Omit<ClaimerInfo, 'leaseMs'> {
  /** The jobs it holds now: each still `running` under its lease. */
  jobs: HeldJob[];
  /** Its last request: a claim (or the end of a long-poll), a heartbeat, or an end it reported. */
  lastSeenAt: number;
}

/** Options of {@link WorkerRegistry}. */
export interface WorkerRegistryOptions {
  /** @defaultValue systemClock */
  clock?: Clock;
  /**
   * How long a worker stays listed after its last request, in leases of its last claim. A
   * worker waiting on a long-poll claim is listed all along; an idle `gq work` claims again as
   * soon as a poll ends, and a busy one heartbeats every third of a lease.
   * @defaultValue 2
   */
  ttlLeases?: number;
  /** Workers remembered at once; past it the one seen longest ago is forgotten. @defaultValue 1000 */
  maxWorkers?: number;
}

interface Entry {
  id: string;
  /** What its last claim said. */
  info: ClaimerInfo;
  jobs: Map<string, string>;
  lastSeenAt: number;
  /** Claims of this worker waiting now (long-polls). */
  pending: number;
}

/**
 * The remote workers this server has heard from through the lease API, kept in memory: who they
 * are (id, host, types, queues, concurrency), the jobs they hold, and when they were last seen.
 * A worker is forgotten two leases after its last request, or when {@link
 * WorkerRegistryOptions.maxWorkers} newer ones push it out. With several servers on one
 * PostgreSQL database, each knows only the workers that talk to it.
 */
export class WorkerRegistry {
  readonly #clock: Clock;
  readonly #ttlLeases: number;
  readonly #maxWorkers: number;
  /** By id, the most recently seen last (a touch moves a worker to the end). */
  readonly #workers = new Map<string, Entry>();
  /** Job id -> the id of the worker holding it. */
  readonly #holders = new Map<string, string>();
  /** Job id -> the attempt its holder was handed. */
  readonly #attempts = new Map<string, number>();
  /** Job id -> the lease token its holder was handed. */
  readonly #tokens = new Map<string, string>();

  /** @throws RangeError for a ttlLeases or maxWorkers that is not positive */
  constructor(options: WorkerRegistryOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#ttlLeases = options.ttlLeases ?? 2;
    this.#maxWorkers = options.maxWorkers ?? 1000;
    if (!(this.#ttlLeases > 0) || !Number.isFinite(this.#ttlLeases)) {
      throw new RangeError(`ttlLeases must be a positive number; got ${String(this.#ttlLeases)}`);
    }
    if (!Number.isSafeInteger(this.#maxWorkers) || this.#maxWorkers < 1) {
      throw new RangeError(
        `maxWorkers must be a positive integer; got ${String(this.#maxWorkers)}`,
      );
    }
  }

  /**
   * Records a claim as it starts (what the worker said of itself); the returned function records
   * its end, with the jobs it handed out.
   */
  claimStarted(info: ClaimerInfo): (handed: readonly Job[]) => void {
    const now = this.#clock.now();
    let entry = this.#workers.get(info.id);
    if (entry === undefined) {
      this.#prune(now);
      while (this.#workers.size >= this.#maxWorkers) {
        const oldest = this.#workers.keys().next().value;
        if (oldest === undefined) break;
        this.#forget(oldest);
      }
      entry = { id: info.id, info, jobs: new Map(), lastSeenAt: now, pending: 0 };
    } else {
      entry.info = info;
      entry.lastSeenAt = now;
    }
    this.#touch(entry);
    entry.pending++;
    const claimer = entry;
    let ended = false;
    return (handed) => {
      if (ended) return;
      ended = true;
      claimer.pending--;
      claimer.lastSeenAt = this.#clock.now();
      if (this.#workers.get(claimer.id) !== claimer) return;
      for (const job of handed) {
        claimer.jobs.set(job.id, job.queue);
        this.#holders.set(job.id, claimer.id);
        this.#attempts.set(job.id, job.attempt);
        if (job.leaseToken !== undefined) this.#tokens.set(job.id, job.leaseToken);
      }
      this.#touch(claimer);
    };
  }

  /** A request about a held job (a heartbeat) was answered: its holder is alive. */
  jobSeen(jobId: string): void {
    const entry = this.#holderOf(jobId);
    if (entry === undefined) return;
    entry.lastSeenAt = this.#clock.now();
    this.#touch(entry);
  }

  /** The id of the worker that holds `jobId` through the lease API, as far as this server knows. */
  holder(jobId: string): string | undefined {
    return this.#holders.get(jobId);
  }

  /**
   * Whether the worker `workerId` needs to hear of this change of `job`: the job is one it holds,
   * and the change is not of the attempt it was handed, still running under it (its own start,
   * progress or checkpoint, which it knows of). A cancel, a lease taken back, a new attempt, or
   * the job running under another worker are needed.
   */
  needsChange(workerId: string, job: Job): boolean {
    if (this.#holders.get(job.id) !== workerId) return false;
    return !(
      job.state === 'running' &&
      job.workerId === workerId &&
      job.attempt === this.#attempts.get(job.id)
    );
  }

  /**
   * The job left its holder's hands: completed, failed, released, or its lease lost. With
   * `token`, only when it is the token the holder was handed: a call with another token (a
   * stale or forged one) does not make this server forget who holds the job.
   */
  jobEnded(jobId: string, token?: string): void {
    if (token !== undefined) {
      const held = this.#tokens.get(jobId);
      if (held !== undefined && held !== token) return;
    }
    const entry = this.#holderOf(jobId);
    this.#holders.delete(jobId);
    this.#attempts.delete(jobId);
    this.#tokens.delete(jobId);
    if (entry === undefined) return;
    entry.jobs.delete(jobId);
    entry.lastSeenAt = this.#clock.now();
    this.#touch(entry);
  }

  /**
   * The workers listed now, the most recently seen first. Each held job is checked against the
   * store (one `getMany`), so a job cancelled or taken back from its worker is not listed.
   */
  async list(store: Pick<Store, 'getMany'>): Promise<RemoteWorker[]> {
    this.#prune(this.#clock.now());
    const ids = [...this.#holders.keys()];
    if (ids.length > 0) {
      const jobs = await store.getMany(ids);
      ids.forEach((id, i) => {
        const job = jobs[i];
        const holder = this.#holders.get(id);
        if (job?.state !== 'running' || job.workerId !== holder) this.#drop(id);
      });
    }
    return [...this.#workers.values()].reverse().map((entry) => {
      const { id, host, address, types, queues, concurrency } = entry.info;
      return {
        id,
        host,
        ...(address === undefined ? {} : { address }),
        ...(types === undefined ? {} : { types }),
        ...(queues === undefined ? {} : { queues }),
        ...(concurrency === undefined ? {} : { concurrency }),
        jobs: [...entry.jobs].map(([id, queue]) => ({ id, queue })),
        lastSeenAt: entry.pending > 0 ? this.#clock.now() : entry.lastSeenAt,
      };
    });
  }

  /**
   * The listed workers' slots: how many workers, the jobs they hold, and their concurrency (the
   * one each said in its claims, or the jobs it holds when it said none or less).
   */
  async slots(
    store: Pick<Store, 'getMany'>,
  ): Promise<{ workers: number; busy: number; concurrency: number }> {
    const slots = { workers: 0, busy: 0, concurrency: 0 };
    for (const worker of await this.list(store)) {
      slots.workers++;
      slots.busy += worker.jobs.length;
      slots.concurrency += Math.max(worker.concurrency ?? 0, worker.jobs.length);
    }
    return slots;
  }

  /**
   * The types the listed workers claim, or undefined when one of them claims every type. Costs
   * the number of workers remembered; reads nothing.
   */
  servedTypes(): ReadonlySet<string> | undefined {
    this.#prune(this.#clock.now());
    const types = new Set<string>();
    for (const entry of this.#workers.values()) {
      if (entry.info.types === undefined) return undefined;
      for (const type of entry.info.types) types.add(type);
    }
    return types;
  }

  #holderOf(jobId: string): Entry | undefined {
    const holder = this.#holders.get(jobId);
    return holder === undefined ? undefined : this.#workers.get(holder);
  }

  #touch(entry: Entry): void {
    this.#workers.delete(entry.id);
    this.#workers.set(entry.id, entry);
  }

  #drop(jobId: string): void {
    const holder = this.#holders.get(jobId);
    this.#holders.delete(jobId);
    this.#attempts.delete(jobId);
    this.#tokens.delete(jobId);
    if (holder !== undefined) this.#workers.get(holder)?.jobs.delete(jobId);
  }

  #forget(id: string): void {
    const entry = this.#workers.get(id);
    this.#workers.delete(id);
    for (const jobId of entry?.jobs.keys() ?? []) {
      this.#holders.delete(jobId);
      this.#attempts.delete(jobId);
      this.#tokens.delete(jobId);
    }
  }

  /** Forgets the workers not seen for their time to live and waiting on no claim. */
  #prune(now: number): void {
    for (const entry of [...this.#workers.values()]) {
      if (entry.pending > 0) continue;
      if (now - entry.lastSeenAt > this.#ttlLeases * entry.info.leaseMs) this.#forget(entry.id);
    }
  }
}
