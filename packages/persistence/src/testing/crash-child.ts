/**
 * The child process of the crash test (`level-store.crash.test.ts`): opens a durable LevelStore
 * on the directory given as its argument and, until it is killed, submits jobs (one at a time and
 * in batches) and claims, completes and fails them, from several concurrent loops. After each
 * acknowledged operation it writes one JSON line to stdout:
 *
 * - `{"op":"ready"}` once the store is open;
 * - `{"op":"submit","id":...}` per job whose submit (or batch) resolved;
 * - `{"op":"claim","id":...}` per job a resolved claim returned (not an acknowledgement: a claim
 *   may resolve before it is durable);
 * - `{"op":"complete","id":...,"result":...}` and `{"op":"fail","id":...}` per resolved transition.
 *
 * With a second argument `backlog`, one more loop claims and completes the jobs of type `backlog`
 * the directory holds (jobs the test submitted before), while the others claim only `crash` jobs.
 *
 * Run: `node --conditions=@gopherqueue/source --import tsx crash-child.ts <dir> [backlog]` from the
 * repo root.
 * Stdout writes to a pipe are synchronous on Linux, so a printed line was printed before any kill.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createJob, type Job, type PriorityLevel } from '@gopherqueue/core';
import { LevelStore } from '../level/level-store.js';

const location = process.argv[2];
if (location === undefined) {
  process.stderr.write('usage: crash-child.ts <data-dir>\n');
  process.exit(2);
}

const store = await LevelStore.open({ location, durability: 'durable' });

function say(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function produce(producer: number): Promise<never> {
  for (let i = 0; ; i++) {
    if (i % 4 === 3) {
      const specs = Array.from({ length: 5 }, (_, k) =>
        createJob('crash', { producer, i, k }, { priority: (k % 5) as PriorityLevel }),
      );
      await store.submitBatch(specs);
      for (const spec of specs) say({ op: 'submit', id: spec.id });
    } else {
      const spec = createJob('crash', { producer, i }, { tags: { producer: String(producer) } });
      await store.submit(spec);
      say({ op: 'submit', id: spec.id });
    }
  }
}

async function finish(worker: number, job: Job, n: number): Promise<void> {
  if (n % 7 === 6) {
    await store.fail(job.id, job.leaseToken!, {
      error: { message: `failed by ${worker}`, errorClass: 'permanent' },
      outcome: { state: 'failed' },
    });
    say({ op: 'fail', id: job.id });
    return;
  }
  const result = { worker, n, id: job.id };
  await store.complete(job.id, job.leaseToken!, result);
  say({ op: 'complete', id: job.id, result });
}

async function work(worker: number, types: string[]): Promise<never> {
  for (let n = 0; ;) {
    const jobs = await store.claim({
      workerId: `crash-${worker}`,
      limit: 3,
      leaseMs: 600_000,
      types,
    });
    for (const job of jobs) say({ op: 'claim', id: job.id });
    if (jobs.length === 0) await sleep(1);
    await Promise.all(jobs.map((job) => finish(worker, job, n++)));
  }
}

/** Claims and completes `backlog` jobs, several at a time. */
async function drainBacklog(): Promise<never> {
  for (;;) {
    const jobs = await store.claim({
      workerId: 'backlog',
      limit: 16,
      leaseMs: 600_000,
      types: ['backlog'],
    });
    if (jobs.length === 0) await sleep(1);
    await Promise.all(
      jobs.map(async (job) => {
        await store.complete(job.id, job.leaseToken!, null);
        say({ op: 'complete', id: job.id, result: null });
      }),
    );
  }
}

say({ op: 'ready' });
const loops = [produce(0), produce(1), work(0, ['crash']), work(1, ['crash'])];
if (process.argv[3] === 'backlog') loops.push(drainBacklog());
await Promise.all(loops);
