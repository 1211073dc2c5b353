import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJob, type Job } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnTsChild } from './testing/child-process.js';
import { makeTempDir, type TempDir } from './testing/temp-dir.js';
import { parseRunLog, type RunEvent } from './testing/run-log.js';

const JOBS = 2_000;
const KILLS = 10;

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('crash');
});
afterAll(async () => {
  await dir.remove();
});

describe('the engine killed with SIGKILL under load', () => {
  it('completes every job, re-running a completion only when a kill interrupted it', async () => {
    const dataDir = join(dir.path, 'data');
    const logFile = join(dir.path, 'handler.log');
    const seeded = await LevelStore.open({ location: dataDir, durability: 'durable' });
    for (let i = 0; i < JOBS; i += 500) {
      const specs = Array.from({ length: 500 }, (_, k) =>
        createJob(
          'crash-work',
          { i: i + k },
          { idempotencyKey: `crash-${i + k}`, maxAttempts: 25 },
        ),
      );
      await seeded.submitBatch(specs);
    }
    // A resubmission (a producer retrying after a crash) must not duplicate anything.
    const again = await seeded.submit(createJob('crash-work', {}, { idempotencyKey: 'crash-7' }));
    expect(again.deduplicated).toBe(true);
    await seeded.close();

    const killed = new Set<number>();
    for (let run = 1; run <= KILLS; run++) {
      appendFileSync(logFile, `run ${run}\n`);
      const child = spawnTsChild('engine-child.ts', ['load', dataDir, logFile]);
      await child.waitForLine((line) => line === 'working');
      await sleep(Math.floor(Math.random() * 400));
      child.process.kill('SIGKILL');
      const exit = await child.exited;
      expect(exit, child.stderr()).toEqual({ code: null, signal: 'SIGKILL' });
      expect(child.lines).not.toContain('finished');
      killed.add(run);
    }
    const last = KILLS + 1;
    appendFileSync(logFile, `run ${last}\n`);
    const final = spawnTsChild('engine-child.ts', ['load', dataDir, logFile]);
    expect(await final.exited, final.stderr()).toEqual({ code: 0, signal: null });
    expect(final.lines.at(-1)).toBe('finished');

    const store = await LevelStore.open({ location: dataDir });
    const counts = await store.counts();
    expect(counts.total).toBe(JOBS);
    expect(counts.byState.completed).toBe(JOBS);
    const jobs = new Map<string, Job>();
    for await (const job of store.scan()) jobs.set(job.id, job);
    await store.close();

    const events = parseRunLog(readFileSync(logFile, 'utf8'));
    expect(events.size).toBe(JOBS);
    const interruptedPerRun = new Map<number, number>();
    let repeatedCompletions = 0;
    for (const [id, list] of events) {
      const job = jobs.get(id);
      expect(job?.state, id).toBe('completed');
      checkJob(job!, list, killed);
      const dones = list.filter((e) => e.kind === 'done').length;
      repeatedCompletions += dones - 1;
      // A job whose handler started in run r and started again later was not acknowledged as
      // completed when r was killed: r's crash interrupted it (mid-handler or mid-completion).
      const startRuns = list.filter((e) => e.kind === 'start').map((e) => e.run);
      for (const run of startRuns.slice(0, -1)) {
        expect(killed.has(run), `${id} ${JSON.stringify(list)}`).toBe(true);
        interruptedPerRun.set(run, (interruptedPerRun.get(run) ?? 0) + 1);
      }
    }
    // Every kill came under load: each crash interrupted at least one job.
    expect(
      [...interruptedPerRun.keys()].sort((a, b) => a - b),
      JSON.stringify([...interruptedPerRun]),
    ).toEqual([...killed]);
    // A process holds at most `concurrency` (32) handlers running and writes the ends of at most
    // 4 x 32 more at once, so a kill interrupts at most 160 jobs: the running ones (their claims
    // may not even be durable yet) and those whose completion was not yet acknowledged.
    for (const count of interruptedPerRun.values()) expect(count).toBeLessThanOrEqual(160);
    expect(repeatedCompletions).toBeLessThanOrEqual(160 * KILLS);
  }, 120_000);
});

/**
 * The rule, per job, where a run is one life of the child process:
 * 1. within one run the handler starts at most once and finishes at most once (no double run in
 *    normal operation);
 * 2. every `done` but the job's last lies in a run that ended by SIGKILL, so
 *    done lines <= 1 + the number of killed runs in which the job started;
 * 3. the last `done` belongs to the last start, whose attempt is the job's final attempt;
 * 4. attempts never go down, and every earlier attempt is recorded as `lease_expired`; an attempt
 *    starts twice only when the first start's claim was lost in a crash (claims may resolve before
 *    they are durable), so its first start lies in a killed run.
 */
function checkJob(job: Job, list: RunEvent[], killed: ReadonlySet<number>): void {
  const about = `${job.id} ${JSON.stringify(list)} ${JSON.stringify(job.errors)}`;
  const runs = new Set(list.map((e) => e.run));
  for (const run of runs) {
    const inRun = list.filter((e) => e.run === run);
    expect(inRun.filter((e) => e.kind === 'start').length, about).toBe(1);
    expect(inRun.filter((e) => e.kind === 'done').length, about).toBeLessThanOrEqual(1);
  }
  const dones = list.filter((e) => e.kind === 'done');
  expect(dones.length, about).toBeGreaterThanOrEqual(1);
  for (const done of dones.slice(0, -1)) expect(killed.has(done.run), about).toBe(true);
  const killedRunsStarted = [...runs].filter((run) => killed.has(run)).length;
  expect(dones.length, about).toBeLessThanOrEqual(1 + killedRunsStarted);

  const starts = list.filter((e) => e.kind === 'start');
  const lastStart = starts.at(-1)!;
  expect(list.at(-1), about).toEqual({ run: lastStart.run, kind: 'done' });
  expect(lastStart.attempt, about).toBe(job.attempt);
  const attempts = starts.map((e) => e.attempt!);
  expect(attempts, about).toEqual([...attempts].sort((a, b) => a - b));
  starts.forEach((start, i) => {
    const again = starts[i + 1];
    if (again !== undefined && again.attempt === start.attempt) {
      expect(killed.has(start.run), about).toBe(true);
    }
  });
  expect(
    job.errors.map((e) => [e.attempt, e.errorClass]),
    about,
  ).toEqual(Array.from({ length: job.attempt - 1 }, (_, i) => [i + 1, 'lease_expired']));
}
