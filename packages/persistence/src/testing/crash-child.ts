/**
 * The child process of the crash test (`level-store.crash.test.ts`): opens a durable LevelStore
 * on the directory given as its argument and, until it is killed, submits jobs (one at a time and
 * in batches) and claims, completes and fails them, from several concurrent loops. After each
 * acknowledged operation it writes one JSON line to stdout:
 *
 * - `{"op":"ready"}` once the store is open;
 * - `{"op":"submit","id":...}` per job whose submit (or batch) resolved;
 * - `{"op":"claim","id":...}` per job a resolved claim returned;
 * - `{"op":"complete","id":...,"result":...}` and `{"op":"fail","id":...}` per resolved transition.
 *
 * Run: `node --conditions=@gopherqueue/source --import tsx crash-child.ts <dir>` from the repo root.
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

async function work(worker: number): Promise<never> {
  for (let n = 0; ;) {
    const jobs = await store.claim({ workerId: `crash-${worker}`, limit: 3, leaseMs: 600_000 });
    for (const job of jobs) say({ op: 'claim', id: job.id });
    if (jobs.length === 0) await sleep(1);
    await Promise.all(jobs.map((job) => finish(worker, job, n++)));
  }
}

say({ op: 'ready' });
await Promise.all([produce(0), produce(1), work(0), work(1)]);
