import { describe, expect, it } from 'vitest';
import { createJob, MAX_JSON_DEPTH, MAX_PROGRESS_LENGTH, PermanentError } from '@gopherqueue/core';
import { until, untilState, useEngine } from './testing/engine-fixture.js';

describe('WorkerPool failure recording', () => {
  const engine = useEngine();

  it('records throws, rejections, non-Error throws, permanent errors and unknown types, and keeps running', async () => {
    const e = await engine({ concurrency: 2 });
    e.pool.register('throws', () => {
      throw new TypeError('sync throw');
    });
    e.pool.register('rejects', () => Promise.reject(new RangeError('async reject')));
    e.pool.register('throws-string', () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw 'just a string';
    });
    e.pool.register('throws-object', () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw { code: 42 };
    });
    e.pool.register('throws-message', () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw { code: 42, message: 'object message', name: 'ApiError' };
    });
    e.pool.register('permanent', () => {
      throw new PermanentError('do not retry');
    });
    e.pool.register('bad-result', () => ({ big: 1n }));
    e.pool.register('fine', () => 'still running');
    e.pool.start();
    const one = { maxAttempts: 1 };
    const specs = {
      throws: createJob('throws', null, one),
      rejects: createJob('rejects', null, one),
      string: createJob('throws-string', null, one),
      object: createJob('throws-object', null, one),
      withMessage: createJob('throws-message', null, one),
      permanent: createJob('permanent', null, { maxAttempts: 5 }),
      unknown: createJob('nobody-handles-this', null, { maxAttempts: 5 }),
      badResult: createJob('bad-result', null, one),
    };
    for (const spec of Object.values(specs)) await e.scheduler.enqueue(spec);
    const error = async (id: string, state: 'dead_letter' | 'failed') =>
      (await untilState(e.store, id, state)).errors;

    expect(await error(specs.throws.id, 'dead_letter')).toMatchObject([
      { attempt: 1, message: 'sync throw', name: 'TypeError', errorClass: 'error' },
    ]);
    expect((await error(specs.throws.id, 'dead_letter'))[0]!.stack).toContain('sync throw');
    expect(await error(specs.rejects.id, 'dead_letter')).toMatchObject([
      { message: 'async reject', name: 'RangeError', errorClass: 'error' },
    ]);
    expect(await error(specs.string.id, 'dead_letter')).toEqual([
      expect.objectContaining({ message: 'just a string', errorClass: 'error' }),
    ]);
    expect(await error(specs.object.id, 'dead_letter')).toEqual([
      expect.objectContaining({ message: '[object Object]', errorClass: 'error' }),
    ]);
    expect(await error(specs.withMessage.id, 'dead_letter')).toEqual([
      expect.objectContaining({ message: 'object message', name: 'ApiError', errorClass: 'error' }),
    ]);
    expect(await error(specs.permanent.id, 'failed')).toMatchObject([
      { attempt: 1, message: 'do not retry', name: 'PermanentError', errorClass: 'permanent' },
    ]);
    expect(await error(specs.unknown.id, 'failed')).toMatchObject([
      {
        attempt: 1,
        message: 'no handler registered for job type "nobody-handles-this"',
        errorClass: 'unknown_type',
      },
    ]);
    expect((await error(specs.badResult.id, 'dead_letter'))[0]!.message).toContain(
      'JSON-serialisable',
    );

    const after = createJob('fine');
    await e.scheduler.enqueue(after);
    expect((await untilState(e.store, after.id, 'completed')).result).toBe('still running');
    await until(() => (e.pool.stats().completed === 1 ? true : undefined), 'the last completion');
    expect(e.pool.stats()).toMatchObject({ completed: 1, failed: 8, busy: 0 });
  });

  it('fails an attempt whose result nests too deep or holds a NUL, and refuses progress over its bounds', async () => {
    const e = await engine();
    let deep: unknown = 'end';
    for (let i = 0; i < MAX_JSON_DEPTH + 1; i++) deep = [deep];
    e.pool.register('deep-result', () => deep);
    e.pool.register('nul-result', () => ({ s: 'a\u0000b' }));
    e.pool.register('big-progress', async (ctx) => {
      const refused: string[] = [];
      for (const value of [{ text: 'p'.repeat(MAX_PROGRESS_LENGTH) }, { deep }, 150, 'half']) {
        await ctx.progress(value).catch((err: unknown) => refused.push((err as Error).message));
      }
      return refused;
    });
    e.pool.start();
    const deepJob = createJob('deep-result', null, { maxAttempts: 1 });
    const progressJob = createJob('big-progress');
    const nulJob = createJob('nul-result', null, { maxAttempts: 1 });
    await e.scheduler.enqueue(nulJob);
    await e.scheduler.enqueue(deepJob);
    await e.scheduler.enqueue(progressJob);
    expect((await untilState(e.store, deepJob.id, 'dead_letter')).errors).toMatchObject([
      {
        attempt: 1,
        message: `the handler result must nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`,
        name: 'RangeError',
        errorClass: 'error',
      },
    ]);
    expect((await untilState(e.store, nulJob.id, 'dead_letter')).errors).toMatchObject([
      {
        attempt: 1,
        message: 'the handler result must hold well-formed Unicode text without NUL characters',
      },
    ]);
    const done = await untilState(e.store, progressJob.id, 'completed');
    expect(done.result).toEqual([
      `progress must be at most ${MAX_PROGRESS_LENGTH} characters as JSON; got ${MAX_PROGRESS_LENGTH + 11}`,
      `progress must nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`,
      'progress must be a number from 0 to 100 or an object; got 150',
      'progress must be a number from 0 to 100 or an object; got "half"',
    ]);
  });

  it.each(['wait', 'leave'] as const)(
    "leaves unknown types for other workers with unknownTypes: '%s'",
    async (unknownTypes) => {
      const e = await engine({ unknownTypes });
      e.pool.register('mine', () => 'done');
      expect(e.pool.claimedTypes()).toEqual(['mine']);
      e.pool.start();
      const theirs = createJob('theirs');
      const mine = createJob('mine');
      await e.scheduler.enqueue(theirs);
      await e.scheduler.enqueue(mine);
      await untilState(e.store, mine.id, 'completed');
      const left = (await e.store.get(theirs.id))!;
      expect([left.state, left.attempt]).toEqual(['scheduled', 0]);
    },
  );
});
