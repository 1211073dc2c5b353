import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noopLogger, type Job, type JobState } from '@gopherqueue/core';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit, MAX_RETIRED, MISS } from './group-commit.js';

interface Written {
  type: string;
  key: string;
  value?: string;
}

let dir: string | undefined;
let db: ClassicLevel | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A GroupCommit on a real LevelDB directory, with each write LevelDB received. */
async function open(): Promise<{ commit: GroupCommit; writes: Written[][] }> {
  dir = await mkdtemp(join(tmpdir(), 'gq-group-commit-'));
  db = new ClassicLevel<string, string>(dir);
  await db.open();
  const writes: Written[][] = [];
  db.on('write', (ops: Written[]) => {
    writes.push(
      ops.map(({ type, key, value }) => (type === 'put' ? { type, key, value } : { type, key })),
    );
  });
  const commit = new GroupCommit(db, {
    sync: true,
    onSeal: () => undefined,
    onWritten: () => undefined,
    logger: noopLogger,
  });
  return { commit, writes };
}

/** A job version: the group commit reads only its state. */
const version = (state: JobState): Job => ({ state }) as Job;

describe('GroupCommit.stageJob', () => {
  it('writes a job claimed and completed within one batch once, as completed', async () => {
    const { commit, writes } = await open();
    const scheduled = version('scheduled');
    const running = version('running');
    const completed = version('completed');
    commit.stageJob('a', scheduled, running, 'A running');
    commit.put('other', 'x');
    commit.stageJob('a', running, completed, 'A completed');
    // A job that does not start running goes into the batch at once.
    commit.stageJob('b', undefined, scheduled, 'B');
    commit.stageJob('b', scheduled, undefined);
    await commit.commit();
    expect(writes).toEqual([
      [
        { type: 'put', key: 'other', value: 'x' },
        { type: 'put', key: 'job!b', value: 'B' },
        { type: 'put', key: 'st!scheduled!b', value: '' },
        { type: 'del', key: 'job!b' },
        { type: 'del', key: 'st!scheduled!b' },
        { type: 'put', key: 'job!a', value: 'A completed' },
        { type: 'del', key: 'st!scheduled!a' },
        { type: 'put', key: 'st!completed!a', value: '' },
      ],
    ]);
    const d = db as ClassicLevel;
    expect(await d.keys().all()).toEqual(['job!a', 'other', 'st!completed!a']);
  });

  it('ends a job changed at once and then claimed in the same batch as claimed', async () => {
    const { commit } = await open();
    const running = version('running');
    const scheduled = version('scheduled');
    commit.stageJob('c', undefined, running, 'C running');
    await commit.commit();
    // Released (written at once), then claimed again (staged) within one batch.
    commit.stageJob('c', running, scheduled, 'C scheduled');
    commit.stageJob('c', scheduled, running, 'C running again');
    await commit.commit();
    const d = db as ClassicLevel;
    expect(await d.iterator().all()).toEqual([
      ['job!c', 'C running again'],
      ['st!running!c', ''],
    ]);
  });

  it('makes a record given as a function only for the version its batch leaves', async () => {
    const { commit } = await open();
    const made: string[] = [];
    const lazy = (text: string) => () => {
      made.push(text);
      return text;
    };
    const scheduled = version('scheduled');
    const running = version('running');
    // Claimed and completed within one batch: the claim's record is never made.
    commit.stageJob('a', scheduled, running, lazy('A running'));
    commit.stageJob('a', running, version('completed'), 'A completed');
    // Claimed only: its record is made once, when the batch is sealed.
    commit.stageJob('b', scheduled, running, lazy('B running'));
    expect(made).toEqual([]);
    await commit.commit();
    expect(made).toEqual(['B running']);
    const d = db as ClassicLevel;
    expect(await d.iterator().all()).toEqual([
      ['job!a', 'A completed'],
      ['job!b', 'B running'],
      ['st!completed!a', ''],
      ['st!running!b', ''],
    ]);
  });

  it('writes each batch from the version the previous batch left', async () => {
    const { commit, writes } = await open();
    const running = version('running');
    commit.stageJob('a', version('scheduled'), running, 'A running');
    const first = commit.commit();
    // Sealed in a microtask: what follows goes to the next batch.
    await Promise.resolve();
    commit.stageJob('a', running, running, 'A checkpoint');
    commit.stageJob('a', running, undefined);
    await Promise.all([first, commit.commit()]);
    expect(writes).toEqual([
      [
        { type: 'put', key: 'job!a', value: 'A running' },
        { type: 'del', key: 'st!scheduled!a' },
        { type: 'put', key: 'st!running!a', value: '' },
      ],
      [
        { type: 'del', key: 'job!a' },
        { type: 'del', key: 'st!running!a' },
      ],
    ]);
    const d = db as ClassicLevel;
    expect(await d.get('job!a')).toBeUndefined();
    expect(await d.keys().all()).toEqual([]);
  });
});

/** The overlay's entries under `prefix`, by key (each key once, with its newest value). */
const withPrefix = (commit: GroupCommit, prefix: string): [string, unknown][] =>
  [...commit.cachedWithPrefix(prefix)].sort(([a], [b]) => (a < b ? -1 : 1));

describe('GroupCommit overlay', () => {
  it('reads the newest unwritten value and keeps written ones while a read started before them runs', async () => {
    const { commit } = await open();
    const unpin = commit.pin();
    commit.cache('r!a', 'one');
    commit.cache('r!b', 'bee');
    commit.cache('x!c', 'sea');
    const first = commit.commit();
    // Sealed in a microtask: the next values go to a second batch, written after the first.
    await Promise.resolve();
    commit.cache('r!a', 'two');
    commit.cache('r!d', null);
    expect(commit.peek('r!a')).toBe('two');
    expect(withPrefix(commit, 'r!')).toEqual([
      ['r!a', 'two'],
      ['r!b', 'bee'],
      ['r!d', null],
    ]);
    await Promise.all([first, commit.commit()]);
    // Both written; the read pinned before them may not see them yet, so they stay.
    expect(commit.peek('r!a')).toBe('two');
    expect(commit.peek('r!b')).toBe('bee');
    expect(commit.peek('r!d')).toBeNull();
    expect(commit.peek('r!zz')).toBe(MISS);
    expect(withPrefix(commit, 'r!')).toEqual([
      ['r!a', 'two'],
      ['r!b', 'bee'],
      ['r!d', null],
    ]);
    unpin();
    // No read runs that started before the writes: the overlay lets them go.
    expect(commit.peek('r!a')).toBe(MISS);
    expect(commit.peek('x!c')).toBe(MISS);
    expect(withPrefix(commit, '')).toEqual([]);
  });

  it('drops an unpinned batch at once when it is written, keeping the newer batch', async () => {
    const { commit } = await open();
    commit.cache('k', 'old');
    const first = commit.commit();
    await Promise.resolve();
    commit.cache('k', 'new');
    await first;
    expect(commit.peek('k')).toBe('new');
    await commit.commit();
    expect(commit.peek('k')).toBe(MISS);
  });

  it('keeps a few layers while a read stays pinned across many batches, each value readable', async () => {
    const { commit } = await open();
    const unpin = commit.pin();
    for (let i = 0; i < 20; i++) {
      commit.cache(`own!${i}`, i);
      commit.cache('shared', i);
      if (i === 5) commit.cache('gone', null);
      await commit.commit();
      expect(commit.overlayLayers).toBeLessThanOrEqual(MAX_RETIRED);
    }
    expect(commit.overlayLayers).toBe(MAX_RETIRED);
    for (let i = 0; i < 20; i++) expect(commit.peek(`own!${i}`)).toBe(i);
    expect(commit.peek('shared')).toBe(19);
    expect(commit.peek('gone')).toBeNull();
    expect(withPrefix(commit, 'own!')).toHaveLength(20);
    expect(withPrefix(commit, 'shared')).toEqual([['shared', 19]]);
    unpin();
    expect(commit.overlayLayers).toBe(0);
    expect(commit.peek('own!0')).toBe(MISS);
    expect(commit.peek('shared')).toBe(MISS);
  });
});
