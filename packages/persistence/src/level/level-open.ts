import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkQueuePatch,
  ErrorCode,
  GqError,
  type Job,
  type JobState,
  type QueueLimits,
} from '@gopherqueue/core';
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import type { LevelDb } from './group-commit.js';
import { DEPENDENT_PREFIX, FORMAT, idOfIndexKey, keys, RANGE_END, readyKey } from './level-keys.js';
import { CountBook, readCounts } from './count-book.js';
import { readJobRecord } from './job-record.js';
import { findBuckets } from './ready-buckets.js';
import { GROUP_PREFIX, groupKey } from './group-book.js';

/** The states of jobs that are not finished. */
export const ACTIVE_STATES: readonly JobState[] = [
  'pending',
  'delayed',
  'scheduled',
  'running',
  'retrying',
];

/** What a LevelStore reads at open: never the waiting or the finished jobs themselves. */
export interface LoadedState {
  /** Running jobs (left by a crash, for startup recovery). */
  running: Job[];
  /** Ids in the running index whose records could not be read (see `readJobRecord`). */
  unreadable: string[];
  /** [dependency, pending job] pairs of the `dep!` index. */
  waits: [string, string][];
  /** The buckets of the ready index. */
  buckets: { queue: string; type: string; priority: number }[];
  counts: string | undefined;
  seq: number;
  /** True when the counts or the last seq did not read and were rebuilt from the job records. */
  recounted: boolean;
  maxId: string;
  paused: string[];
  /** The queues with limits, as `qset!<name>` records them. */
  limits: [string, QueueLimits][];
  /** Unfinished jobs with a group key, from the `grp!` index (entries of gone jobs dropped). */
  groupMembers: { queue: string; group: string; seq: number; id: string }[];
}

/**
 * Opens the database: classic-level in `location`, or memory-level. With `createIfMissing`
 * false, a `location` that holds no database is left as it is.
 * @throws GQ_STORE_LOCKED when another process holds the directory; GQ_NOT_FOUND when
 * `createIfMissing` is false and there is no database at `location`.
 */
export async function openLevelDb(
  location: string,
  memory: boolean,
  createIfMissing = true,
): Promise<LevelDb> {
  const options = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const;
  if (memory) {
    // Strings in the tree compare several times faster than the default Buffers.
    const db = new MemoryLevel<string, string>({ ...options, storeEncoding: 'utf8' });
    await db.open();
    return db;
  }
  if (createIfMissing) await mkdir(location, { recursive: true });
  else if (!existsSync(join(location, 'CURRENT'))) {
    // LevelDB would still write its LOCK and LOG files into an existing empty directory.
    throw new GqError(ErrorCode.NOT_FOUND, `no store at ${location}`, { details: { location } });
  }
  // A 32 MiB memtable (LevelDB's default is 4 MiB): fewer level-0 flushes and compactions under
  // a stream of small writes, a quarter less CPU per job in a drain, for bounded memory.
  const db = new ClassicLevel<string, string>(location, {
    ...options,
    createIfMissing,
    writeBufferSize: 32 * 1024 * 1024,
  });
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED' || (err as { code?: string }).code === 'LEVEL_LOCKED') {
      throw new GqError(
        ErrorCode.STORE_LOCKED,
        `data directory ${location} is in use by another process (is another gq serve running?)`,
        { cause: err, details: { location } },
      );
    }
    throw new GqError(
      ErrorCode.STORE_UNAVAILABLE,
      `cannot open data directory ${location}: ${(err as Error).message}`,
      { cause: err, details: { location } },
    );
  }
  return db;
}

/**
 * Reads what the store keeps in memory: the running jobs, the waits of pending jobs, the buckets
 * of the ready index (one seek each) and the records. Its cost grows with the running and pending
 * jobs and the number of buckets, never with the waiting or finished jobs. A directory of an
 * older layout is upgraded first.
 */
export async function loadState(db: LevelDb): Promise<LoadedState> {
  const format = await db.get(keys.format);
  if (format === undefined || Number(format) < FORMAT) {
    if (format === undefined) {
      await moveActiveRecords(db);
      await indexActiveJobs(db);
      await upgradeIdempotencyKeys(db);
    }
    if (format === undefined || Number(format) < 3) await indexDependedOn(db);
    // Format 4 changed only how records are written: every earlier record reads as it is.
    await db.batch().put(keys.format, String(FORMAT)).write({ sync: true });
  } else if (Number(format) > FORMAT) {
    throw new GqError(
      ErrorCode.STORE_UNAVAILABLE,
      `the data directory was written by a newer GopherQueue (layout ${format}; this one reads up to ${FORMAT}): upgrade gq, or export with the newer one and import here`,
      { details: { format: Number(format), supported: FORMAT } },
    );
  }
  const runningIds = (await readKeys(db, keys.state('running', ''))).map(idOfIndexKey);
  const running: Job[] = [];
  const unreadable: string[] = [];
  for (let at = 0; at < runningIds.length; at += 1000) {
    const ids = runningIds.slice(at, at + 1000);
    const raws = await db.getMany(ids.map((id) => keys.job(id)));
    raws.forEach((raw, i) => {
      // A record that cannot be read stays on disk as it is; the store runs without it.
      const job = readJobRecord(raw, ids[i]);
      if (job !== undefined) running.push(job);
      else if (raw !== undefined) unreadable.push(ids[i] as string);
    });
  }
  const waits = (await readKeys(db, DEPENDENT_PREFIX)).map((key): [string, string] => {
    const [dependency = '', id = ''] = key.slice(DEPENDENT_PREFIX.length).split('!');
    return [dependency, id];
  });
  const buckets = await findBuckets(db);
  const [storedCounts, storedSeq] = await db.getMany([keys.counts, keys.seq]);
  const lastId = async (prefix: string): Promise<string> => {
    const [key] = await db
      .keys({ gt: prefix, lt: prefix + RANGE_END, reverse: true, limit: 1 })
      .all();
    return key === undefined ? '' : key.slice(prefix.length);
  };
  const maxId = await lastId(keys.job(''));
  let counts = storedCounts;
  let seq = storedSeq === undefined ? 0 : Number(storedSeq);
  // Either missing beside stored jobs, or not readable: both come back from one pass over the
  // records, so an odd value costs a slower start, never a start.
  const countsLost =
    storedCounts === undefined ? maxId !== '' : readCounts(storedCounts) === undefined;
  const seqLost = storedSeq === undefined ? maxId !== '' : !Number.isSafeInteger(seq) || seq < 0;
  if (countsLost || seqLost) {
    const recounted = await recount(db);
    if (countsLost) counts = recounted.counts;
    if (seqLost) seq = recounted.seq;
    // Both are derived from the records: written back at once, so the next start is not slow too.
    const batch = db.batch().put(keys.seq, String(seq));
    if (counts !== undefined) batch.put(keys.counts, counts);
    await batch.write({ sync: true });
  }
  const paused = await db.keys({ gt: keys.queueRecord(''), lt: keys.queueRecord(RANGE_END) }).all();
  const limits = await db
    .iterator({ gt: keys.queueLimits(''), lt: keys.queueLimits(RANGE_END) })
    .all();
  const groupMembers = await readGroupMembers(db);
  return {
    groupMembers,
    running,
    unreadable,
    waits,
    buckets,
    counts,
    seq,
    recounted: countsLost || seqLost,
    maxId,
    paused: paused.map((key) => key.slice(keys.queueRecord('').length)),
    limits: limits.flatMap(([key, value]): [string, QueueLimits][] => {
      const read = readLimits(value);
      return read === undefined ? [] : [[key.slice(keys.queueLimits('').length), read]];
    }),
  };
}

/**
 * The `grp!` index, checked against the jobs: an entry whose job is gone, finished or has
 * another seq (written by a version that did not keep the index) is dropped, so one stale
 * entry can never hold an ordered key back. Costs a read per unfinished job with a key.
 */
async function readGroupMembers(
  db: LevelDb,
): Promise<{ queue: string; group: string; seq: number; id: string }[]> {
  const members: { queue: string; group: string; seq: number; id: string }[] = [];
  const iterator = db.iterator({ gt: GROUP_PREFIX, lt: GROUP_PREFIX + RANGE_END });
  try {
    for (;;) {
      const chunk = await iterator.nextv(1000);
      if (chunk.length === 0) return members;
      const raws = await db.getMany(chunk.map(([, id]) => keys.job(id)));
      const batch = db.batch();
      chunk.forEach(([key, id], i) => {
        const job = readJobRecord(raws[i], id);
        if (job === undefined || groupKey(job) !== key) {
          batch.del(key);
          return;
        }
        members.push({ queue: job.queue, group: job.group as string, seq: job.seq, id });
      });
      if (batch.length > 0) await batch.write({ sync: true });
      else await batch.close();
    }
  } finally {
    await iterator.close();
  }
}

/**
 * A queue's stored limits, or undefined when they do not read as limits (the queue then runs
 * without them until they are set again).
 */
function readLimits(value: string): QueueLimits | undefined {
  try {
    const limits = JSON.parse(value) as QueueLimits;
    checkQueuePatch(limits);
    return { ...limits, concurrency: limits.concurrency ?? null, rate: limits.rate ?? null };
  } catch {
    return undefined;
  }
}

/** The counts of every readable job record, and the highest seq among them, in one pass. */
async function recount(db: LevelDb): Promise<{ counts: string; seq: number }> {
  const book = new CountBook();
  let seq = 0;
  const prefix = keys.job('');
  const iterator = db.iterator({ gt: prefix, lt: prefix + RANGE_END });
  try {
    for (;;) {
      const chunk = await iterator.nextv(1000);
      if (chunk.length === 0) break;
      for (const [key, raw] of chunk) {
        const job = readJobRecord(raw, key.slice(prefix.length));
        if (job === undefined) continue;
        book.move(undefined, job);
        if (job.seq > seq) seq = job.seq;
      }
    }
  } finally {
    await iterator.close();
  }
  return { counts: book.toJSON(), seq };
}

/** Every key of a prefix range. */
async function readKeys(db: LevelDb, prefix: string): Promise<string[]> {
  const found: string[] = [];
  const iterator = db.keys({ gt: prefix, lt: prefix + RANGE_END });
  try {
    for (;;) {
      const chunk = await iterator.nextv(1000);
      if (chunk.length === 0) return found;
      found.push(...chunk);
    }
  } finally {
    await iterator.close();
  }
}

/** The entries of the ready and dependency indexes of an active job. */
function indexEntries(job: Job): string[] {
  const entries: string[] = [];
  const ready = readyKey(job);
  if (ready !== undefined) entries.push(ready);
  if (job.state === 'pending') {
    for (const dep of job.waitingOn) entries.push(keys.dependent(dep, job.id));
  }
  return entries;
}

/**
 * Format 1 kept every active job at `act!<id>`: each moves to `job!<id>` with its state, ready
 * and dependency entries, a chunk per synced batch (a crash part-way resumes: the moved records
 * have left `act!`).
 */
async function moveActiveRecords(db: LevelDb): Promise<void> {
  const prefix = keys.legacyActive('');
  for (;;) {
    const chunk = await db.iterator({ gt: prefix, lt: prefix + RANGE_END, limit: 1000 }).all();
    if (chunk.length === 0) return;
    const batch = db.batch();
    for (const [key, raw] of chunk) {
      const job = readJobRecord(raw);
      if (job === undefined) {
        // Moved as it is, unindexed, so the upgrade goes on and nothing is lost.
        batch.put(keys.job(key.slice(prefix.length)), raw).del(key);
        continue;
      }
      batch.put(keys.job(job.id), raw).put(keys.state(job.state, job.id), '').del(key);
      for (const entry of indexEntries(job)) batch.put(entry, job.id);
    }
    await batch.write({ sync: true });
  }
}

/**
 * Before format 1, active jobs were at `job!<id>` with `st!<state>!<id>` entries, as in format 2:
 * they only lack their ready and dependency entries. (Jobs moved by {@link moveActiveRecords} are
 * read again here; writing their entries twice is harmless.)
 */
async function indexActiveJobs(db: LevelDb): Promise<void> {
  for (const state of ACTIVE_STATES) {
    const prefix = keys.state(state, '');
    const iterator = db.keys({ gt: prefix, lt: prefix + RANGE_END });
    try {
      for (;;) {
        const ids = (await iterator.nextv(1000)).map(idOfIndexKey);
        if (ids.length === 0) break;
        const raws = await db.getMany(ids.map((id) => keys.job(id)));
        const batch = db.batch();
        for (const raw of raws) {
          const job = readJobRecord(raw);
          if (job === undefined) continue;
          for (const entry of indexEntries(job)) batch.put(entry, job.id);
        }
        await batch.write({ sync: true });
      }
    } finally {
      await iterator.close();
    }
  }
}

/**
 * Writes the `dby!` entries (a job's dependents) of a directory written before format 3, from
 * every job record that names dependencies, a thousand records at a time. Runs once: the format
 * record is written after it, and a crash before that runs it again over the same entries.
 */
async function indexDependedOn(db: LevelDb): Promise<void> {
  const prefix = keys.job('');
  let after = prefix;
  for (;;) {
    const chunk = await db.iterator({ gt: after, lt: prefix + RANGE_END, limit: 1000 }).all();
    if (chunk.length === 0) return;
    const batch = db.batch();
    for (const [key, raw] of chunk) {
      const id = key.slice(prefix.length);
      for (const dep of dependsOnOf(raw)) {
        if (typeof dep === 'string') batch.put(keys.dependedOnBy(dep, id), '');
      }
    }
    await batch.write({ sync: true });
    after = (chunk[chunk.length - 1] as [string, string])[0];
  }
}

/** The dependencies a stored record names; none for a record that does not parse. */
function dependsOnOf(raw: string): unknown[] {
  try {
    const job = JSON.parse(raw) as Partial<Job> | null;
    return Array.isArray(job?.dependsOn) ? job.dependsOn : [];
  } catch {
    return [];
  }
}

/**
 * Scopes the idempotency keys of a directory written before keys were per queue: each
 * `idem!<key>` entry becomes `qidem!<queue>!<key>` with the queue of the job holding it (an entry
 * whose job is gone is dropped), so a key keeps deduplicating within its job's queue and no
 * longer answers submits to other queues. A no-op on a current directory: one empty range read.
 */
async function upgradeIdempotencyKeys(db: LevelDb): Promise<void> {
  const prefix = keys.legacyIdem('');
  // Idempotency keys may hold any character, so the range ends just above the prefix itself.
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  for (;;) {
    const chunk = await db.iterator({ gte: prefix, lt: end, limit: 1000 }).all();
    if (chunk.length === 0) break;
    const ids = chunk.map(([, id]) => id);
    const records = await db.getMany(ids.map((id) => keys.job(id)));
    const batch = db.batch();
    chunk.forEach(([legacy, id], i) => {
      const job = readJobRecord(records[i], id);
      if (job !== undefined) batch.put(keys.idem(job.queue, legacy.slice(prefix.length)), id);
      batch.del(legacy);
    });
    await batch.write({ sync: true });
  }
}
