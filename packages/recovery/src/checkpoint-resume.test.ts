import { join } from 'node:path';
import { createJob } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnTsChild, type TsChild } from './testing/child-process.js';
import { makeTempDir, type TempDir } from './testing/temp-dir.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('checkpoint');
});
afterAll(async () => {
  await dir.remove();
});

/** The steps a child acknowledged (printed after `ctx.checkpoint` resolved), in order. */
function acks(child: TsChild): number[] {
  return child.lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4)));
}

/** Runs a child until it acknowledged step `hangAfter` and hangs there, then SIGKILLs it. */
async function killAfter(dataDir: string, hangAfter: number): Promise<TsChild> {
  const child = spawnTsChild('engine-child.ts', ['checkpoint', dataDir, String(hangAfter)]);
  await child.waitForLine((line) => line === 'hanging');
  child.process.kill('SIGKILL');
  expect(await child.exited, child.stderr()).toEqual({ code: null, signal: 'SIGKILL' });
  return child;
}

describe('a job killed with SIGKILL mid-run', () => {
  it('resumes from its last acknowledged checkpoint after each restart and completes', async () => {
    const dataDir = join(dir.path, 'data');
    const seeded = await LevelStore.open({ location: dataDir, durability: 'durable' });
    const { job } = await seeded.submit(createJob('steps', null, { maxAttempts: 5 }));
    await seeded.close();
    const firstKill = 2 + Math.floor(Math.random() * 3);
    const secondKill = firstKill + 1 + Math.floor(Math.random() * 3);

    const first = await killAfter(dataDir, firstKill);
    expect(first.lines).toContain('attempt 1 from 0');
    expect(acks(first)).toEqual(range(1, firstKill));

    const second = await killAfter(dataDir, secondKill);
    expect(second.lines).toContain('recovered 1');
    expect(second.lines).toContain(`attempt 2 from ${firstKill}`);
    expect(acks(second)).toEqual(range(firstKill + 1, secondKill));

    const third = spawnTsChild('engine-child.ts', ['checkpoint', dataDir, '0']);
    expect(await third.exited, third.stderr()).toEqual({ code: 0, signal: null });
    expect(third.lines).toContain('recovered 1');
    expect(third.lines).toContain(`attempt 3 from ${secondKill}`);
    expect(acks(third)).toEqual(range(secondKill + 1, 10));
    expect(third.lines.at(-1)).toBe('finished');

    const store = await LevelStore.open({ location: dataDir });
    const done = await store.get(job.id);
    await store.close();
    expect(done?.state).toBe('completed');
    expect(done?.attempt).toBe(3);
    expect(done?.checkpoint).toEqual({ step: 10 });
    expect(done?.result).toEqual({ from: secondKill, to: 10 });
    expect(done?.errors.map((e) => [e.attempt, e.errorClass])).toEqual([
      [1, 'lease_expired'],
      [2, 'lease_expired'],
    ]);
  }, 120_000);
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
