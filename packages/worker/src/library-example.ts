// The "Use as a Library" example of the README, verbatim; library-example.test.ts runs it.
import { createJob, type Job } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { JobEventRelay, Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool } from '@gopherqueue/worker';

export async function main(dataDir = './data'): Promise<Job> {
  // The embedded store: classic-level on disk, every acknowledged write fsynced.
  const store = await LevelStore.open({ location: dataDir });
  try {
    // The scheduler wakes the pool when work is ready; the relay turns changes into events.
    const scheduler = new Scheduler({ store });
    await scheduler.start();
    const events = new JobEventRelay({ store });
    events.start();

    const pool = new WorkerPool({ store, scheduler, concurrency: 10 });
    pool.register('email', async (ctx) => {
      const { to, subject } = ctx.payload as { to: string; subject: string };
      ctx.logger.info('sending email', { to, subject });
      await new Promise((resolve) => setTimeout(resolve, 10)); // Do work... (honour ctx.signal)
      return { sent: true, to };
    });
    pool.start();

    const spec = createJob(
      'email',
      { to: 'user@example.com', subject: 'Welcome' },
      { priority: 'high', maxAttempts: 3 },
    );
    const completed = new Promise<Job>((resolve) => {
      const off = events.on('job:completed', (job) => {
        if (job.id !== spec.id) return;
        off();
        resolve(job);
      });
    });
    await scheduler.enqueue(spec);
    const job = await completed;
    console.log(`job ${job.id} completed:`, job.result);

    // Stop in reverse order: the pool drains its running jobs first.
    await pool.stop();
    await events.stop();
    await scheduler.stop();
    return job;
  } finally {
    await store.close();
  }
}
