import { describe, expect, it } from 'vitest';
import { createJob } from '@gopherqueue/core';
import { until, untilState, useEngine, type Engine } from '../testing/engine-fixture.js';
import type { SandboxIsolation } from './sandboxed-handler.js';

/** The handlers the sandboxes load (see the file): `run` does what `payload.op` says. */
const HANDLERS = new URL('../testing/sandbox-handlers.mjs', import.meta.url);
/** Small, so running out of it is quick; ample for the other handlers. */
const MEMORY_MB = 32;

describe.each<SandboxIsolation>(['thread', 'process'])(
  'a handler isolated in a %s',
  (isolation) => {
    const engine = useEngine();

    async function start(
      options: {
        concurrency?: number;
        sandboxes?: number;
        jobsPerSandbox?: number;
        shutdownTimeoutMs?: number;
      } = {},
    ): Promise<Engine> {
      const { sandboxes = 1, jobsPerSandbox, ...pool } = options;
      const e = await engine({ concurrency: 1, timeoutGraceMs: 100, ...pool });
      e.pool.register('sbx', {
        module: HANDLERS,
        key: 'run',
        isolation,
        memoryMb: MEMORY_MB,
        sandboxes,
        ...(jobsPerSandbox === undefined ? {} : { jobsPerSandbox }),
      });
      e.pool.start();
      return e;
    }

    async function run(e: Engine, op: string, options: Parameters<typeof createJob>[2] = {}) {
      const spec = createJob('sbx', { op }, { maxAttempts: 1, ...options });
      await e.scheduler.enqueue(spec);
      return spec.id;
    }

    it('terminates a handler stuck in while (true) after its timeout and grace, fails it as timed out, and runs the next job in a fresh sandbox', async () => {
      const e = await start();
      const first = await run(e, 'where');
      const before = (await untilState(e.store, first, 'completed')).result as string;
      const stuck = await run(e, 'spin', { timeout: 200 });
      const next = await run(e, 'where');
      const failed = await untilState(e.store, stuck, 'dead_letter');
      expect(failed.errors).toHaveLength(1);
      expect(failed.errors[0]).toMatchObject({
        attempt: 1,
        errorClass: 'timeout',
        name: 'TimeoutError',
      });
      expect(failed.errors[0]!.message).toBe(
        'timed out after 200 ms; the handler ignored its signal and was terminated with its sandbox after 100 ms more',
      );
      const after = (await untilState(e.store, next, 'completed')).result as string;
      expect(after).toMatch(/^process \d+/);
      expect(after).not.toBe(before);
    });

    it('terminates a stuck handler whose job was cancelled after the grace period; the job stays cancelled', async () => {
      const e = await start();
      const first = await run(e, 'where');
      const before = (await untilState(e.store, first, 'completed')).result as string;
      const stuck = await run(e, 'spin');
      await until(() => (e.pool.stats().busy === 1 ? true : undefined), 'the handler to start');
      await e.store.cancel(stuck);
      const next = await run(e, 'where');
      const after = (await untilState(e.store, next, 'completed')).result as string;
      expect(after).not.toBe(before);
      const cancelled = await e.store.get(stuck);
      expect(cancelled).toMatchObject({ state: 'cancelled', errors: [] });
    });

    it('stops with a stuck handler: terminates it after the shutdown timeout and grace, and releases its job', async () => {
      const e = await start({ shutdownTimeoutMs: 50 });
      const stuck = await run(e, 'spin', { maxAttempts: 2 });
      await until(() => (e.pool.stats().busy === 1 ? true : undefined), 'the handler to start');
      await e.pool.stop();
      expect(await e.store.get(stuck)).toMatchObject({ state: 'scheduled', errors: [] });
    });

    it('fails a handler that allocates past its memory limit as sandbox_crashed, and keeps running jobs', async () => {
      const e = await start();
      const hog = await run(e, 'hog', { timeout: 20_000 });
      const failed = await untilState(e.store, hog, 'dead_letter');
      expect(failed.errors[0]).toMatchObject({
        attempt: 1,
        errorClass: 'sandbox_crashed',
        name: 'SandboxCrashedError',
      });
      expect(failed.errors[0]!.message).toMatch(
        new RegExp(`^sandbox ${isolation} \\d+ ran out of memory \\(memoryMb ${MEMORY_MB}\\)$`),
      );
      const next = await run(e, 'where');
      expect((await untilState(e.store, next, 'completed')).result).toMatch(/^process \d+/);
    });

    it('fails only the attempt of a handler that calls process.exit(1), and retries it by its policy', async () => {
      const e = await start({ concurrency: 2, sandboxes: 2 });
      const backoff = { strategy: 'constant', initial: 1, jitter: false } as const;
      const exits = await run(e, 'exitOnce', { maxAttempts: 2, backoff });
      const neighbour = await run(e, 'report');
      await until(
        async () => ((await e.store.get(neighbour))?.progress === 42 ? true : undefined),
        'the neighbour to run',
      );
      const done = await untilState(e.store, exits, 'completed');
      expect(done.result).toBe('survived attempt 2');
      expect(done.errors.map((err) => [err.attempt, err.errorClass, err.name])).toEqual([
        [1, 'sandbox_crashed', 'SandboxCrashedError'],
      ]);
      expect(done.errors[0]!.message).toMatch(
        new RegExp(
          `^sandbox ${isolation} \\d+ exited with code 1 \\(did a handler call process\\.exit\\?\\)$`,
        ),
      );
      // The job running beside it, in another sandbox, was not touched.
      expect((await e.store.get(neighbour))?.state).toBe('running');
      await e.store.cancel(neighbour);
    });

    it('fails the attempt of a handler whose timer throws as sandbox_crashed, naming the error', async () => {
      const e = await start();
      const thrower = await run(e, 'throwLater');
      const failed = await untilState(e.store, thrower, 'dead_letter');
      expect(failed.errors[0]).toMatchObject({ errorClass: 'sandbox_crashed' });
      expect(failed.errors[0]!.message).toMatch(
        new RegExp(`^sandbox ${isolation} \\d+ crashed: uncaught Error: thrown from a timer$`),
      );
      expect(failed.errors[0]!.stack).toContain('sandbox-handlers.mjs');
    });

    it('runs 1,000 jobs through a pool of 4 sandboxes, each with its right result', async () => {
      const e = await start({ concurrency: 8, sandboxes: 4, jobsPerSandbox: 2 });
      const specs = Array.from({ length: 1_000 }, (_, n) => createJob('sbx', { op: 'square', n }));
      for (let i = 0; i < specs.length; i += 250)
        await e.store.submitBatch(specs.slice(i, i + 250));
      await until(
        () => (e.pool.stats().completed === 1_000 ? true : undefined),
        '1,000 jobs',
        60_000,
      );
      const jobs = await e.store.getMany(specs.map((spec) => spec.id));
      const results = jobs.map(
        (job) => job?.result as { n: number; square: number; sandbox: string },
      );
      expect(jobs.every((job) => job?.state === 'completed')).toBe(true);
      expect(results.map((r) => [r.n, r.square])).toEqual(specs.map((_, n) => [n, n * n]));
      expect(new Set(results.map((r) => r.sandbox)).size).toBe(4);
    });
  },
);
