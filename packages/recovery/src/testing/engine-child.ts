/**
 * The engine in a child process, for the SIGKILL crash tests: opens a durable LevelStore on a data
 * directory, takes back what a killed predecessor left running, and runs a Scheduler, a
 * WorkerPool and a Recoverer until every job is completed (then exits 0) or until it is killed.
 *
 *   node --conditions=@gopherqueue/source --import tsx engine-child.ts <mode> <dataDir> [arg]
 *
 * - `load <logFile>`: handler `crash-work` appends `start <id> <attempt>` before its work and
 *   `done <id>` right before returning, with synchronous O_APPEND writes that survive SIGKILL.
 * - `checkpoint <hangAfter>`: handler `steps` runs steps from its last checkpoint to 10, saving a
 *   checkpoint after each and printing `ack <step>` once it is durable; after the step numbered
 *   `hangAfter` (0: never) it waits for the kill.
 *
 * Stdout: `recovered <n>` after startup recovery, `ready` once the pool runs, `working` when the
 * first `crash-work` handler of this process starts, `finished` at the end.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Json } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool, type JobContext } from '@gopherqueue/worker';
import { Recoverer } from '../recoverer.js';

/** Number of steps of a `steps` job. */
const CHECKPOINT_STEPS = 10;

const [mode, dataDir, arg] = process.argv.slice(2);
if ((mode !== 'load' && mode !== 'checkpoint') || dataDir === undefined || arg === undefined) {
  throw new TypeError('usage: engine-child.ts load|checkpoint <dataDir> <logFile|hangAfter>');
}

function print(line: string): void {
  writeSync(1, `${line}\n`);
}

// The store's and pool's timers are unref'd; this keeps the process alive until it is done.
const keepAlive = setInterval(() => undefined, 1_000);

const store = await LevelStore.open({ location: dataDir, durability: 'durable' });
const recoverer = new Recoverer({ store, intervalMs: 500 });
print(`recovered ${await recoverer.recoverStartup()}`);
const scheduler = new Scheduler({ store });
const pool = new WorkerPool({
  store,
  scheduler,
  concurrency: 32,
  leaseMs: 30_000,
  heartbeatIntervalMs: 5_000,
  timeoutGraceMs: 1_000,
  shutdownTimeoutMs: 5_000,
});

let log: number | undefined;
if (mode === 'load') {
  const fd = openSync(arg, 'a');
  log = fd;
  let working = false;
  pool.register('crash-work', async (ctx: JobContext) => {
    writeSync(fd, `start ${ctx.id} ${ctx.attempt}\n`);
    if (!working) print('working');
    working = true;
    await sleep(50 + Math.floor(Math.random() * 100));
    writeSync(fd, `done ${ctx.id}\n`);
    return { ran: ctx.attempt };
  });
} else {
  const hangAfter = Number(arg);
  pool.register('steps', async (ctx: JobContext) => {
    const from = stepOf(ctx.lastCheckpoint);
    print(`attempt ${ctx.attempt} from ${from}`);
    for (let step = from + 1; step <= CHECKPOINT_STEPS; step++) {
      await sleep(10);
      await ctx.checkpoint({ step });
      print(`ack ${step}`);
      if (step === hangAfter) {
        print('hanging');
        await sleep(600_000, undefined, { signal: ctx.signal });
      }
    }
    return { from, to: CHECKPOINT_STEPS };
  });
}

await scheduler.start();
pool.start();
recoverer.start();
print('ready');

for (;;) {
  const counts = await store.counts();
  if (counts.total > 0 && counts.byState.completed === counts.total) break;
  await sleep(50);
}
await pool.stop();
await recoverer.stop();
await scheduler.stop();
await store.close();
if (log !== undefined) closeSync(log);
clearInterval(keepAlive);
print('finished');

function stepOf(checkpoint: Json | undefined): number {
  if (typeof checkpoint === 'object' && checkpoint !== null && !Array.isArray(checkpoint)) {
    const step = checkpoint.step;
    if (typeof step === 'number') return step;
  }
  return 0;
}
