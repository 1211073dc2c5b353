import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noopLogger, type Job, type JobState } from '@gopherqueue/core';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

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
