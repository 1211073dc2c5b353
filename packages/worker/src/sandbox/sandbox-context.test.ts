import { describe, expect, it } from 'vitest';
import { createJob } from '@gopherqueue/core';
import { until, untilState, useEngine, type Engine } from '../testing/engine-fixture.js';
import type { SandboxedHandler, SandboxIsolation } from './sandboxed-handler.js';
import { recordingLogger, type RecordedLine as Line } from '../testing/recording-logger.js';

const HANDLERS = new URL('../testing/sandbox-handlers.mjs', import.meta.url);

describe.each<SandboxIsolation>(['thread', 'process'])(
  'the context of a handler in a %s',
  (isolation) => {
    const engine = useEngine();
    const backoff = { strategy: 'constant', initial: 1, jitter: false } as const;

    async function start(
      lines: Line[] = [],
      handler: Partial<SandboxedHandler> = {},
    ): Promise<Engine> {
      const e = await engine({
        concurrency: 2,
        timeoutGraceMs: 100,
        logger: recordingLogger(lines),
      });
      e.pool.register('sbx', { module: HANDLERS, key: 'run', isolation, ...handler });
      e.pool.start();
      return e;
    }

    async function run(e: Engine, op: string, options: Parameters<typeof createJob>[2] = {}) {
      const spec = createJob('sbx', { op }, { maxAttempts: 1, ...options });
      await e.scheduler.enqueue(spec);
      return spec.id;
    }

    it('gives the job, its dependencies and its last checkpoint, but not its lease token', async () => {
      const e = await start([], { key: undefined, export: 'run' });
      const dependency = createJob('sbx', { op: 'where' });
      await e.scheduler.enqueue(dependency);
      const made = (await untilState(e.store, dependency.id, 'completed')).result;
      const spec = createJob(
        'sbx',
        { op: 'context' },
        { dependsOn: [dependency.id], tags: { a: 'b' } },
      );
      await e.scheduler.enqueue(spec);
      expect((await untilState(e.store, spec.id, 'completed')).result).toEqual({
        id: spec.id,
        type: 'sbx',
        attempt: 1,
        tags: { a: 'b' },
        payload: { op: 'context' },
        lastCheckpoint: null,
        dependencies: [[dependency.id, made]],
        jobId: spec.id,
        leaseToken: null,
      });
    });

    it('saves checkpoints and logs through the attempt, and records a thrown error with its stack', async () => {
      const lines: Line[] = [];
      const e = await start(lines);
      const id = await run(e, 'steps', { maxAttempts: 2, backoff });
      const done = await untilState(e.store, id, 'completed');
      expect(done.result).toEqual({ resumedFrom: { page: 1 } });
      expect(done.errors).toHaveLength(1);
      expect(done.errors[0]).toMatchObject({
        attempt: 1,
        errorClass: 'error',
        name: 'TypeError',
        message: 'retry me',
      });
      expect(done.errors[0]!.stack).toMatch(/^TypeError: retry me\n\s+at .*sandbox-handlers\.mjs/);
      const line = lines.find((l) => l.message === 'saved a checkpoint');
      expect(line).toEqual({
        level: 'info',
        message: 'saved a checkpoint',
        fields: { jobId: id, type: 'sbx', attempt: 1, step: 'one', page: 1 },
      });
    });

    it('stores progress, fires the signal inside on cancel, and leaves the job cancelled', async () => {
      const lines: Line[] = [];
      const e = await start(lines);
      const id = await run(e, 'report');
      await until(async () => {
        const job = await e.store.get(id);
        return job?.progress === 42 && job.progressMessage === 'almost' ? true : undefined;
      }, 'progress 42');
      await e.store.cancel(id);
      const fired = await until(
        () => lines.find((l) => l.message === 'signal fired'),
        'the signal',
      );
      expect(fired.fields).toMatchObject({ jobId: id, code: 'GQ_LEASE_LOST', name: 'GqError' });
      await until(() => (e.pool.stats().busy === 0 ? true : undefined), 'the handler to end');
      expect((await e.store.get(id))?.state).toBe('cancelled');
    });

    it('fails a PermanentError at once, without retrying', async () => {
      const e = await start();
      const id = await run(e, 'permanent', { maxAttempts: 3 });
      const failed = await untilState(e.store, id, 'failed');
      expect(failed.errors).toHaveLength(1);
      expect(failed.errors[0]).toMatchObject({
        errorClass: 'permanent',
        name: 'PermanentError',
        message: 'not worth retrying',
      });
    });

    it('snoozes with ctx.snooze or a RateLimitedError of another copy, keeping the attempt', async () => {
      const e = await start();
      const spec = createJob('sbx', { op: 'snoozeOnce', delay: '100ms' }, { maxAttempts: 1 });
      const limited = createJob('sbx', { op: 'rateLimitedOnce', delay: 100 }, { maxAttempts: 1 });
      const sloppy = createJob('sbx', { op: 'snoozeOnce', delay: 'soon' }, { maxAttempts: 1 });
      for (const job of [spec, limited, sloppy]) await e.scheduler.enqueue(job);
      const [done, sent, failed] = await Promise.all([
        untilState(e.store, spec.id, 'completed'),
        untilState(e.store, limited.id, 'completed'),
        untilState(e.store, sloppy.id, 'dead_letter'),
      ]);
      expect([done.result, done.attempt, done.errors]).toEqual(['ran 1', 1, []]);
      expect([sent.result, sent.attempt, sent.errors]).toEqual(['ran 1', 1, []]);
      expect(done.runAt).toBeGreaterThanOrEqual(done.createdAt + 100);
      expect(failed.errors.map((err) => [err.errorClass, err.name, err.message])).toEqual([
        [
          'error',
          'RangeError',
          'snooze: invalid duration "soon": expected e.g. "500ms", "30s", "1h30m"',
        ],
      ]);
    });

    it("carries an error's retryAfter and retry: false out of the sandbox", async () => {
      const e = await start();
      const hour = { strategy: 'constant', initial: '1h' } as const;
      const later = createJob('sbx', { op: 'retryLater', retryAfter: '50ms' }, { backoff: hour });
      const refused = createJob('sbx', { op: 'refuse' }, { maxAttempts: 3 });
      for (const job of [later, refused]) await e.scheduler.enqueue(job);
      const [done, failed] = await Promise.all([
        untilState(e.store, later.id, 'completed'),
        untilState(e.store, refused.id, 'failed'),
      ]);
      expect(done.result).toBe('ran 2');
      expect(done.errors.map((err) => [err.errorClass, err.name, err.retryAfterMs])).toEqual([
        ['error', 'HttpError', 50],
      ]);
      expect(failed.errors.map((err) => [err.attempt, err.errorClass, err.message])).toEqual([
        [1, 'permanent', 'declined'],
      ]);
    });

    it('records a thrown non-Error as inline code does', async () => {
      const e = await start();
      const id = await run(e, 'nonError');
      const failed = await untilState(e.store, id, 'dead_letter');
      expect(failed.errors[0]).toMatchObject({ errorClass: 'error', message: '[object Object]' });
      expect(failed.errors[0]!.name).toBeUndefined();
    });

    it('stores a result as JSON, as inline code does, even one that does not clone', async () => {
      const e = await start();
      const id = await run(e, 'functions');
      expect((await untilState(e.store, id, 'completed')).result).toEqual({
        kept: 1,
        when: '1970-01-01T00:00:00.000Z',
      });
      const bad = await run(e, 'badCheckpoint');
      expect((await untilState(e.store, bad, 'completed')).result).toBe(
        'TypeError: a checkpoint must be JSON-serialisable: Do not know how to serialize a BigInt',
      );
    });

    it('fails the attempt as sandbox_crashed when the module has no such handler', async () => {
      const e = await start([], { key: 'missing' });
      const id = await run(e, 'where');
      const failed = await untilState(e.store, id, 'dead_letter');
      expect(failed.errors[0]).toMatchObject({ errorClass: 'sandbox_crashed' });
      expect(failed.errors[0]!.message).toBe(
        `sandbox ${isolation} ${/\d+/.exec(failed.errors[0]!.message)![0]} could not load its handler: TypeError: "missing" in the export "default" of ${HANDLERS.href} is not a handler function (it is undefined)`,
      );
    });
  },
);
