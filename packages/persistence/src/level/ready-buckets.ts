import { effectivePriority, ErrorCode, GqError, type Job, type Logger } from '@gopherqueue/core';
import { MISS, type GroupCommit, type LevelDb } from './group-commit.js';
import type { JobCache } from './job-cache.js';
import { readJobRecord } from './job-record.js';
import { bucketPrefix, keys, padTime, RANGE_END, READY_PREFIX, readyKey } from './level-keys.js';
import { ParkedEntries, type ParkedEntry } from './parked-entries.js';
import { Bucket, type ReadyEntry } from './ready-bucket.js';

/** Which jobs a claim may take. */
export interface ReadyFilter {
  now: number;
  paused: ReadonlySet<string>;
  types?: readonly string[] | undefined;
  queues?: readonly string[] | undefined;
  /** Starts left per limited queue: a queue at 0 is passed over, each job taken counts one. */
  quota?: Map<string, number> | undefined;
  /** The aging step of a queue (null: strict priority); absent: no queue ages. */
  aging?: ((queue: string) => number | null) | undefined;
  /**
   * Whether a job of a key may start now (its key's limit, its place in an ordered key); a job
   * it refuses is parked until the key frees. Told of each job taken. Absent: no key limits.
   */
  gate?: GroupGate | undefined;
  /** Pass over every queue with limits: its `quota` entry, or a key limit of the `gate`. */
  unlimitedOnly?: boolean | undefined;
}

/** See {@link ReadyFilter.gate}. */
export interface GroupGate {
  /** True when the queue limits jobs per key (only those jobs are asked about). */
  limits(queue: string): boolean;
  allows(queue: string, group: string, seq: number): boolean;
  took(queue: string, group: string): void;
}

/** Options of {@link ReadyBuckets}. */
export interface ReadyBucketsOptions {
  db: LevelDb;
  commit: GroupCommit;
  cache: JobCache;
  logger: Logger;
  /** Throws when the store is closed or failed. */
  guard: () => void;
  /** Entries of one bucket held in memory at most. */
  headSize: number;
}

/** What {@link ReadyBuckets.take} took, and what it waits for when it had to stop early. */
export interface Taken {
  ids: string[];
  /** Set when a bucket that may hold the next job in claim order must be read from disk first. */
  blocked?: Promise<void>;
}

/**
 * The ready index of a LevelStore: runnable jobs in claim order, one bucket per queue, type and
 * priority, on disk (`rdy!` keys) with only the head of each bucket in memory. A claim takes the
 * best due head among the buckets it may take from; a head that runs low is refilled from disk in
 * the background, so a claim waits for the disk only when a head ran dry.
 *
 * A refill reads the keys after the bucket's tail from a snapshot, then reconciles them with the
 * writes made since (the group commit's overlay holds every ready key and job version written
 * since the refill pinned it): a key deleted since is skipped, a job whose current version is no
 * longer at that key is skipped, and keys inserted since, beyond the old tail, are added.
 */
export class ReadyBuckets {
  readonly #o: ReadyBucketsOptions;
  readonly #buckets = new Map<string, Bucket>();
  readonly #parked = new ParkedEntries();
  readonly #low: number;

  constructor(options: ReadyBucketsOptions) {
    this.#o = options;
    this.#low = Math.max(1, Math.floor(options.headSize / 4));
  }

  /** Buckets known (each holding at least one runnable job, or not read yet). */
  get bucketCount(): number {
    return this.#buckets.size;
  }

  /** Knows a bucket that holds keys on disk (found at open); its head is read when needed. */
  discover(queue: string, type: string, priority: number): void {
    const prefix = bucketPrefix(queue, type, priority);
    if (!this.#buckets.has(prefix)) {
      this.#buckets.set(prefix, new Bucket(queue, type, priority, false));
    }
  }

  #bucketOf(job: Job, create: boolean): Bucket | undefined {
    const prefix = bucketPrefix(job.queue, job.type, job.priority);
    let bucket = this.#buckets.get(prefix);
    if (bucket === undefined && create) {
      // A bucket no key on disk belongs to: everything of it is what memory holds.
      bucket = new Bucket(job.queue, job.type, job.priority, true);
      this.#buckets.set(prefix, bucket);
    }
    return bucket;
  }

  /**
   * Records that a runnable job now has the ready key `key`; returns whether its entry is held in
   * memory (then the job must be too), or lives on disk only.
   */
  insert(job: Job, key: string): boolean {
    const bucket = this.#bucketOf(job, true) as Bucket;
    if (!bucket.exhausted && (bucket.tail === undefined || key > bucket.tail)) return false;
    bucket.insert({ key, runAt: job.runAt, seq: job.seq, id: job.id, group: job.group });
    this.#trim(bucket);
    return bucket.ids.has(job.id);
  }

  /** True when the entry of the job at `key` is held in memory (in its bucket, or parked). */
  holds(job: Job): boolean {
    return this.#bucketOf(job, false)?.ids.has(job.id) === true || this.#parked.has(job.id);
  }

  /** Records that a job left the ready key `key`. */
  remove(job: Job, key: string): void {
    if (this.#parked.remove(job.id)) return;
    const bucket = this.#bucketOf(job, false);
    if (bucket === undefined) return;
    bucket.remove(job.id, key);
    this.#forgetIfEmpty(bucket);
  }

  /** Keeps at most `headSize` entries in memory: the last ones go back to disk only. */
  #trim(bucket: Bucket): void {
    while (bucket.size > this.#o.headSize) {
      const last = bucket.entries.pop() as ReadyEntry;
      bucket.ids.delete(last.id);
      this.#o.cache.drop(last.id);
      bucket.tail = bucket.last()?.key;
      bucket.exhausted = false;
      bucket.generation++;
    }
  }

  #forgetIfEmpty(bucket: Bucket): void {
    if (bucket.size === 0 && bucket.exhausted && bucket.refilling === undefined) {
      this.#buckets.delete(bucket.prefix);
    }
  }

  /**
   * Takes up to `limit` due jobs in claim order out of the index (the caller claims them). Stops
   * early, with `blocked`, when a bucket that may hold the next job has its head on disk only.
   * Claim order is priority (after aging, for a queue that ages), then runAt, then seq; a head
   * the gate refuses is parked (see {@link ParkedEntries}) and the claim goes on.
   */
  take(limit: number, filter: ReadyFilter): Taken {
    const ids: string[] = [];
    const buckets = this.#candidates(filter);
    const { quota, aging, gate, now } = filter;
    while (ids.length < limit) {
      let best: Bucket | undefined;
      let bestEntry: ReadyEntry | undefined;
      let bestRank = Number.POSITIVE_INFINITY;
      let unread: Bucket | undefined;
      let unreadRank = Number.POSITIVE_INFINITY;
      for (const bucket of buckets) {
        if (quota !== undefined && (quota.get(bucket.queue) ?? 1) <= 0) continue;
        const step = aging?.(bucket.queue) ?? null;
        const entry = bucket.first();
        if (entry === undefined) {
          // Its head is on disk: it may hold a job as good as its best possible rank.
          const rank = step === null ? bucket.priority : 0;
          if (!bucket.exhausted && rank < unreadRank) {
            unread = bucket;
            unreadRank = rank;
          }
          continue;
        }
        if (entry.runAt > now) continue;
        const rank = effectivePriority(bucket.priority, entry.runAt, now, step);
        if (
          bestEntry === undefined ||
          rank < bestRank ||
          (rank === bestRank &&
            (entry.runAt < bestEntry.runAt ||
              (entry.runAt === bestEntry.runAt && entry.seq < bestEntry.seq)))
        ) {
          best = bucket;
          bestEntry = entry;
          bestRank = rank;
        }
      }
      if (unread !== undefined && unreadRank <= bestRank) {
        return { ids, blocked: this.refill(unread) };
      }
      if (best === undefined || bestEntry === undefined) break;
      best.shift();
      const group = bestEntry.group;
      if (gate !== undefined && group !== undefined && gate.limits(best.queue)) {
        if (!gate.allows(best.queue, group, bestEntry.seq)) {
          this.#parked.park({
            ...bestEntry,
            group,
            queue: best.queue,
            type: best.type,
            priority: best.priority,
          });
          this.#afterShift(best);
          continue;
        }
        gate.took(best.queue, group);
      }
      ids.push(bestEntry.id);
      const left = quota?.get(best.queue);
      if (left !== undefined) quota?.set(best.queue, left - 1);
      this.#afterShift(best);
    }
    return { ids };
  }

  #afterShift(bucket: Bucket): void {
    if (bucket.size < this.#low && !bucket.exhausted) this.#refillInBackground(bucket);
    else this.#forgetIfEmpty(bucket);
  }

  /**
   * Puts parked entries of a key back into their buckets: the first `count` in claim order, or
   * with `seq` the one of that seq only. An entry whose bucket no longer holds its place in
   * memory is left to the disk, where its key still is.
   */
  unpark(queue: string, group: string, count: number, seq?: number): void {
    for (const entry of this.#parked.release(queue, group, count, seq)) this.#return(entry);
  }

  /** Puts every parked entry of a queue back (its settings changed). */
  unparkQueue(queue: string): void {
    for (const group of this.#parked.groupsOf(queue)) {
      this.unpark(queue, group, Number.POSITIVE_INFINITY);
    }
  }

  #return(entry: ParkedEntry): void {
    const prefix = bucketPrefix(entry.queue, entry.type, entry.priority);
    let bucket = this.#buckets.get(prefix);
    if (bucket === undefined) {
      bucket = new Bucket(entry.queue, entry.type, entry.priority, true);
      this.#buckets.set(prefix, bucket);
    }
    if (bucket.ids.has(entry.id)) return;
    if (!bucket.exhausted && (bucket.tail === undefined || entry.key > bucket.tail)) {
      this.#o.cache.drop(entry.id);
      return;
    }
    bucket.insert({
      key: entry.key,
      runAt: entry.runAt,
      seq: entry.seq,
      id: entry.id,
      group: entry.group,
    });
    this.#trim(bucket);
  }

  /** Jobs parked now (held back by their key's limit). */
  get parkedCount(): number {
    return this.#parked.size;
  }

  /** Per queue, the earliest runAt at or before `now` among its runnable jobs (paused too). */
  async oldestDue(now: number): Promise<Map<string, number>> {
    for (;;) {
      const oldest = new Map<string, number>();
      for (const [queue, runAt] of this.#parked.oldest())
        if (runAt <= now) oldest.set(queue, runAt);
      const reading: Promise<void>[] = [];
      for (const bucket of this.#buckets.values()) {
        const entry = bucket.first();
        if (entry === undefined) {
          if (!bucket.exhausted) reading.push(this.refill(bucket));
          continue;
        }
        const known = oldest.get(bucket.queue);
        if (entry.runAt <= now && (known === undefined || entry.runAt < known)) {
          oldest.set(bucket.queue, entry.runAt);
        }
      }
      if (reading.length === 0) return oldest;
      await Promise.all(reading);
      this.#o.guard();
    }
  }

  /**
   * The earliest time a claim may take a runnable job of an unpaused queue (reading heads it
   * lacks): a job's runAt, or later when `floor` (the queue's limits) says so; a queue whose
   * floor is Infinity is left out.
   */
  async nextRunAt(
    paused: ReadonlySet<string>,
    floor: (queue: string) => number,
  ): Promise<number | undefined> {
    for (;;) {
      let earliest: number | undefined;
      const reading: Promise<void>[] = [];
      for (const bucket of this.#buckets.values()) {
        if (paused.has(bucket.queue)) continue;
        const limit = floor(bucket.queue);
        if (limit === Number.POSITIVE_INFINITY) continue;
        const entry = bucket.first();
        if (entry === undefined) {
          if (!bucket.exhausted) reading.push(this.refill(bucket));
          continue;
        }
        const at = Math.max(entry.runAt, limit);
        if (earliest === undefined || at < earliest) earliest = at;
      }
      if (reading.length === 0) return earliest;
      await Promise.all(reading);
      this.#o.guard();
    }
  }

  /**
   * Due jobs per type (types in `exclude` left out), each counted up to `limit`, at most
   * `maxTypes` types in type order: the heads in memory, then the keys on disk after them.
   */
  async countDue(
    now: number,
    exclude: ReadonlySet<string>,
    limit: number,
    maxTypes: number,
  ): Promise<{ type: string; count: number }[]> {
    await this.#o.commit.commit();
    this.#o.guard();
    const byType = new Map<string, Bucket[]>();
    for (const bucket of this.#buckets.values()) {
      if (exclude.has(bucket.type)) continue;
      let list = byType.get(bucket.type);
      if (list === undefined) byType.set(bucket.type, (list = []));
      list.push(bucket);
    }
    const counts: { type: string; count: number }[] = [];
    for (const type of [...byType.keys()].sort()) {
      let count = 0;
      for (const bucket of byType.get(type) ?? []) {
        if (count >= limit) break;
        let inMemory = 0;
        for (let i = bucket.at; i < bucket.entries.length && count + inMemory < limit; i++) {
          if ((bucket.entries[i] as ReadyEntry).runAt > now) break;
          inMemory++;
        }
        count += inMemory;
        const allDue = inMemory === bucket.size;
        if (allDue && !bucket.exhausted && count < limit) {
          const from = bucket.tail ?? bucket.prefix;
          const onDisk = await this.#o.db
            .keys({ gt: from, lt: bucket.prefix + padTime(now) + RANGE_END, limit: limit - count })
            .all();
          this.#o.guard();
          count += onDisk.length;
        }
      }
      if (count > 0) counts.push({ type, count });
      if (counts.length >= maxTypes) break;
    }
    return counts;
  }

  /** Reads the next entries of a bucket from disk into memory (once at a time per bucket). */
  refill(bucket: Bucket): Promise<void> {
    if (bucket.exhausted) return Promise.resolve();
    bucket.refilling ??= this.#read(bucket).finally(() => {
      bucket.refilling = undefined;
      this.#forgetIfEmpty(bucket);
    });
    return bucket.refilling;
  }

  /**
   * A refill nobody waits for (a head running low): a failure is logged, never left unhandled;
   * one that lost the race with close() is expected and says nothing.
   */
  #refillInBackground(bucket: Bucket): void {
    this.refill(bucket).catch((err: unknown) => {
      if (err instanceof GqError && err.code === ErrorCode.STORE_CLOSED) return;
      this.#o.logger.warn('reading the ready index from disk failed', {
        error: err instanceof Error ? err.message : String(err),
      });
    });
  }

  /** Resolves once no refill is in flight: close() waits for it before it closes the database. */
  async settle(): Promise<void> {
    const inFlight = [...this.#buckets.values()].flatMap((b) =>
      b.refilling === undefined ? [] : [b.refilling],
    );
    await Promise.allSettled(inFlight);
  }

  async #read(bucket: Bucket): Promise<void> {
    const { db, commit, cache, guard, headSize, logger } = this.#o;
    const generation = bucket.generation;
    const from = bucket.tail;
    const unpin = commit.pin();
    const snapshot = db.snapshot();
    try {
      const rows = await db
        .iterator({
          gt: from ?? bucket.prefix,
          lt: bucket.prefix + RANGE_END,
          limit: headSize,
          snapshot,
        })
        .all();
      const bodies = await db.getMany(
        rows.map(([, id]) => keys.job(id)),
        { snapshot },
      );
      guard();
      // Entries left memory for disk while this read ran: the next refill starts from there.
      if (bucket.generation !== generation) return;
      const exhausted = rows.length < headSize;
      const to = exhausted ? undefined : (rows[rows.length - 1] as [string, string])[0];
      const found = new Map<string, { id: string; raw: string | undefined }>();
      rows.forEach(([key, id], i) => found.set(key, { id, raw: bodies[i] }));
      // Keys written since the snapshot, or in a batch it may have missed.
      for (const [key, value] of commit.cachedWithPrefix(bucket.prefix)) {
        if (typeof value !== 'string') continue;
        if ((from !== undefined && key <= from) || (to !== undefined && key > to)) continue;
        if (!found.has(key)) found.set(key, { id: value, raw: undefined });
      }
      for (const [key, { id, raw }] of [...found].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (bucket.ids.has(id) || this.#parked.has(id) || commit.peek(key) === null) continue;
        const job = current(cache, commit, id, raw, logger);
        if (job === undefined || readyKey(job) !== key) continue;
        bucket.insert({ key, runAt: job.runAt, seq: job.seq, id, group: job.group });
        cache.hold(job);
      }
      if (to !== undefined && (bucket.tail === undefined || to > bucket.tail)) bucket.tail = to;
      if (exhausted) bucket.exhausted = true;
      this.#trim(bucket);
    } finally {
      await snapshot.close().catch(() => undefined);
      unpin();
    }
  }

  #candidates(filter: ReadyFilter): Bucket[] {
    const candidates: Bucket[] = [];
    const types = filter.types === undefined ? undefined : new Set(filter.types);
    const queues = filter.queues === undefined ? undefined : new Set(filter.queues);
    const { quota, gate, unlimitedOnly } = filter;
    for (const bucket of this.#buckets.values()) {
      if (filter.paused.has(bucket.queue)) continue;
      if (queues !== undefined && !queues.has(bucket.queue)) continue;
      if (
        unlimitedOnly === true &&
        (quota?.has(bucket.queue) === true || gate?.limits(bucket.queue) === true)
      ) {
        continue;
      }
      if (types !== undefined && !types.has(bucket.type)) continue;
      candidates.push(bucket);
    }
    return candidates;
  }
}

/** The job's version now: in memory, else written since a read, else as the read found it. */
function current(
  cache: JobCache,
  commit: GroupCommit,
  id: string,
  raw: string | undefined,
  logger: Logger,
): Job | undefined {
  const held = cache.get(id);
  if (held !== undefined) return held;
  const written = commit.peek(keys.version(id));
  if (written !== MISS) return (written as Job | null) ?? undefined;
  if (raw === undefined) return undefined;
  const job = readJobRecord(raw, id);
  if (job === undefined)
    logger.error('unreadable job record in the ready index; skipped', { jobId: id });
  return job;
}

/**
 * The bucket prefixes of the ready index on disk, found with one seek per bucket. A key no job
 * can have (a part missing, a priority that is not 0 to 4) names no bucket and is stepped over,
 * one seek each; every seek starts above the key it found, so odd keys cost seeks, never a loop.
 */
export async function findBuckets(
  db: LevelDb,
): Promise<{ queue: string; type: string; priority: number }[]> {
  const found: { queue: string; type: string; priority: number }[] = [];
  let from = READY_PREFIX;
  for (;;) {
    const [key] = await db.keys({ gt: from, lt: READY_PREFIX + RANGE_END, limit: 1 }).all();
    if (key === undefined) return found;
    const [queue, type, priorityText] = key.slice(READY_PREFIX.length).split('!');
    if (queue === undefined || type === undefined || priorityText === undefined) {
      from = key;
      continue;
    }
    const priority = Number(priorityText);
    const prefix = bucketPrefix(queue, type, priority);
    if (Number.isInteger(priority) && priority >= 0 && priority <= 4 && key.startsWith(prefix)) {
      found.push({ queue, type, priority });
      // Past the whole bucket (or past the key, should it sort above the bucket's end).
      const next = prefix + RANGE_END;
      from = next > key ? next : key;
    } else {
      // Past this key only: a real bucket may sort right after it (`rdy!q!t!2` before
      // `rdy!q!t!2!...`).
      from = key;
    }
  }
}
