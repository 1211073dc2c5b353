import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, GqError, type Job, type JobState } from '@gopherqueue/core';
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import type { LevelDb } from './group-commit.js';
import { idOfIndexKey, keys, RANGE_END } from './level-keys.js';

/** The states whose jobs a LevelStore keeps in memory. */
export const ACTIVE_STATES: readonly JobState[] = [
  'pending',
  'delayed',
  'scheduled',
  'running',
  'retrying',
];

/** What a LevelStore reads at open. */
export interface LoadedState {
  active: Job[];
  counts: string | undefined;
  seq: number;
  maxId: string;
  paused: string[];
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
  const db = new ClassicLevel<string, string>(location, { ...options, createIfMissing });
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

/** Reads the active jobs (the `act!` range, never the finished ones) and the records. */
export async function loadState(db: LevelDb): Promise<LoadedState> {
  await upgradeActiveIndex(db);
  await upgradeIdempotencyKeys(db);
  const active: Job[] = [];
  const iterator = db.iterator({ gt: keys.active(''), lt: keys.active(RANGE_END) });
  try {
    for (;;) {
      const chunk = await iterator.nextv(1000);
      if (chunk.length === 0) break;
      for (const [, raw] of chunk) active.push(JSON.parse(raw) as Job);
    }
  } finally {
    await iterator.close();
  }
  const [counts, seq] = await db.getMany([keys.counts, keys.seq]);
  const lastId = async (prefix: string): Promise<string> => {
    const [key] = await db
      .keys({ gt: prefix, lt: prefix + RANGE_END, reverse: true, limit: 1 })
      .all();
    return key === undefined ? '' : key.slice(prefix.length);
  };
  const [lastFinished, lastActive] = [await lastId(keys.job('')), await lastId(keys.active(''))];
  const paused = await db.keys({ gt: keys.queueRecord(''), lt: keys.queueRecord(RANGE_END) }).all();
  return {
    active,
    counts,
    seq: seq === undefined ? 0 : Number(seq),
    maxId: lastFinished > lastActive ? lastFinished : lastActive,
    paused: paused.map((key) => key.slice(keys.queueRecord('').length)),
  };
}

/**
 * Moves the active jobs of a directory written before the `act!` layout (records at `job!<id>`
 * with `st!<state>!<id>` entries for active states too) to `act!<id>`, so no acknowledged job is
 * lost across the upgrade. A no-op on a current directory: one empty range read per state.
 */
async function upgradeActiveIndex(db: LevelDb): Promise<void> {
  for (const state of ACTIVE_STATES) {
    const prefix = keys.state(state, '');
    for (;;) {
      const chunk = await db.keys({ gt: prefix, lt: prefix + RANGE_END, limit: 1000 }).all();
      if (chunk.length === 0) break;
      const ids = chunk.map(idOfIndexKey);
      const values = await db.getMany(ids.map((id) => keys.job(id)));
      const batch = db.batch();
      ids.forEach((id, i) => {
        const raw = values[i];
        if (raw !== undefined) batch.put(keys.active(id), raw).del(keys.job(id));
        batch.del(keys.state(state, id));
      });
      await batch.write({ sync: true });
    }
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
    const [active, finished] = await Promise.all([
      db.getMany(ids.map((id) => keys.active(id))),
      db.getMany(ids.map((id) => keys.job(id))),
    ]);
    const batch = db.batch();
    chunk.forEach(([legacy, id], i) => {
      const raw = active[i] ?? finished[i];
      if (raw !== undefined) {
        const job = JSON.parse(raw) as Job;
        batch.put(keys.idem(job.queue, legacy.slice(prefix.length)), id);
      }
      batch.del(legacy);
    });
    await batch.write({ sync: true });
  }
}
