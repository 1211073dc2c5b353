import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF } from './backoff.js';
import { createJob, type JobOptions } from './create-job.js';
import { MAX_DELAY_MS, MAX_JSON_DEPTH, MAX_TIMEOUT_MS } from './limits.js';
import { isUuid } from './uuid.js';

const NOW = Date.UTC(2026, 10, 28);

describe('createJob', () => {
  it('applies the defaults: queue default, priority normal, 3 attempts, 30 min timeout, exponential backoff', () => {
    const job = createJob('email', { to: 'a@b.c' }, {}, NOW);
    expect(isUuid(job.id)).toBe(true);
    expect(job).toMatchObject({
      type: 'email',
      queue: 'default',
      payload: { to: 'a@b.c' },
      priority: 2,
      maxAttempts: 3,
      timeoutMs: 1_800_000,
      dependsOn: [],
      tags: {},
    });
    expect(job.backoff).toEqual(DEFAULT_BACKOFF);
    expect(job.runAt).toBeUndefined();
  });

  it('accepts priority names, Go-style delays and timeouts', () => {
    const job = createJob('x', null, { priority: 'critical', delay: '5m', timeout: '30s' }, NOW);
    expect(job.priority).toBe(0);
    expect(job.runAt).toBe(NOW + 300_000);
    expect(job.timeoutMs).toBe(30_000);
  });

  it('prefers an absolute runAt over delay', () => {
    const at = new Date(NOW + 60_000);
    expect(createJob('x', null, { runAt: at, delay: '1h' }, NOW).runAt).toBe(NOW + 60_000);
    expect(createJob('x', null, { runAt: at.toISOString() }, NOW).runAt).toBe(NOW + 60_000);
  });

  it('rejects bad options with messages that name the option', () => {
    expect(() => createJob('', null)).toThrow(/type must be/);
    expect(() => createJob('x', null, { priority: 7 as never })).toThrow(/priority must be 0..4/);
    expect(() => createJob('x', null, { maxAttempts: 0 })).toThrow(
      /maxAttempts must be an integer from 1 to 1000; got 0/,
    );
    expect(() => createJob('x', null, { timeout: 'soon' })).toThrow(/invalid duration "soon"/);
    expect(() => createJob('x', null, { dependsOn: ['nope'] })).toThrow(
      /dependsOn must be an array of job ids/,
    );
    expect(() => createJob('x', null, { id: 'nope' })).toThrow(
      new TypeError('id must be a UUID; got "nope"'),
    );
    const id = '01a22f05-1090-7000-8794-00da803af610';
    expect(createJob('x', null, { id }).id).toBe(id);
    expect(() => createJob('x', null, { tags: { a: 1 as never } })).toThrow(
      /tags.a must be a string/,
    );
    expect(() => createJob('x', null, { backoff: { strategy: 'fibonacci' as never } })).toThrow(
      /backoff.strategy/,
    );
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => createJob('x', cyclic)).toThrow(/payload must be JSON-serialisable/);
  });

  it('stores a copy of the payload equal to its JSON round trip, for every shape', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const withGetter = Object.defineProperty({ a: 1 }, 'b', { get: () => 'got', enumerable: true });
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    const payloads: unknown[] = [
      0,
      -0,
      7.5,
      NaN,
      -Infinity,
      'text',
      '',
      true,
      null,
      { a: 1, b: 'x', c: false, d: null, e: -0, f: NaN, g: Infinity, 2: 'two' },
      { kept: 1, gone: undefined, fn: () => 1, [Symbol('s')]: 1 },
      JSON.parse('{"__proto__":{"polluted":true},"a":1}'),
      JSON.parse('{"__proto__":1,"a":1}'),
      { toJSON: () => ({ replaced: true }) },
      { toJSON: 'a field like any other' },
      { nested: { deep: [1, -0, NaN, { x: undefined }] } },
      { nested: { deep: [1, -0, NaN, -Infinity, { x: [[]], y: {} }, 'z'] }, list: [true, null] },
      [1, 'a', null, undefined],
      // eslint-disable-next-line no-sparse-arrays -- a hole, which JSON writes as null
      [1, , 3],
      [[0.5, -0], { a: [{ b: 'c' }] }],
      Object.assign([1, 2], { extra: 'dropped by JSON' }),
      Object.assign([1, 2], { toJSON: () => 'replaced' }),
      { list: [() => 1, Symbol('s')] },
      { big: { inner: JSON.parse('{"__proto__":2}') } },
      deepNesting(40),
      deepNesting(31),
      { when: new Date(Date.UTC(2026, 0, 2)) },
      new Point(3),
      withGetter,
      bare,
      {},
    ];
    for (const payload of payloads) {
      const stored = createJob('x', payload, {}, NOW).payload;
      const expected: unknown = JSON.parse(JSON.stringify(payload));
      expect(stored).toStrictEqual(expected);
      if (typeof stored === 'object' && stored !== null) {
        expect(Object.getPrototypeOf(stored)).toBe(Object.getPrototypeOf(expected));
        expect(stored).not.toBe(payload);
      }
    }
    expect(Object.is(createJob('x', -0, {}, NOW).payload, 0)).toBe(true);
    expect(Object.is((createJob('x', { z: -0 }, {}, NOW).payload as { z: number }).z, 0)).toBe(
      true,
    );
    expect(Object.keys(createJob('x', { b: 1, a: 2, 1: 3 }, {}, NOW).payload as object)).toEqual([
      '1',
      'b',
      'a',
    ]);
    const source = { n: 1, inner: { list: [1] } };
    const job = createJob('x', source, {}, NOW);
    source.n = 2;
    source.inner.list.push(2);
    expect(job.payload).toEqual({ n: 1, inner: { list: [1] } });
    const cycle: unknown[] = [1];
    cycle.push({ back: cycle });
    expect(() => createJob('x', { cycle })).toThrow(/payload must be JSON-serialisable/);
    const throwing = Object.defineProperty({}, 'bad', {
      get: () => {
        throw new Error('no access');
      },
      enumerable: true,
    });
    expect(() => createJob('x', throwing)).toThrow(/payload must be JSON-serialisable: no access/);
  });

  it('keeps retryOn and noRetryOn without repeats, within their bounds', () => {
    const job = createJob(
      'x',
      null,
      { retryOn: ['HttpError', 'timeout', 'HttpError'], noRetryOn: [] },
      NOW,
    );
    expect([job.retryOn, job.noRetryOn]).toEqual([['HttpError', 'timeout'], []]);
    expect(createJob('x', null, {}, NOW)).not.toHaveProperty('retryOn');
    const many = Array.from({ length: 32 }, (_, i) => `E${i}`.padEnd(200, 'x'));
    expect(createJob('x', null, { noRetryOn: many }, NOW).noRetryOn).toEqual(many);
    expect(() => createJob('x', null, { retryOn: 'TypeError' as never })).toThrow(
      new TypeError('retryOn must be an array of error names'),
    );
    expect(() => createJob('x', null, { noRetryOn: [...many, 'one more'] })).toThrow(
      new RangeError('noRetryOn must list at most 32 names; got 33'),
    );
    expect(() => createJob('x', null, { retryOn: ['ok', ''] })).toThrow(
      new RangeError('retryOn[1] must be a non-empty string of at most 200 characters'),
    );
    expect(() => createJob('x', null, { retryOn: ['x'.repeat(201)] })).toThrow(
      'retryOn[0] must be a non-empty string of at most 200 characters',
    );
    expect(() => createJob('x', null, { noRetryOn: [7 as never] })).toThrow(
      'noRetryOn[0] must be a non-empty string',
    );
  });

  it('accepts a delay, runAt and timeout of up to 10 years', () => {
    const job = createJob('x', null, { delay: '87600h', timeout: MAX_TIMEOUT_MS }, NOW);
    expect(job.runAt).toBe(NOW + MAX_DELAY_MS);
    expect(job.timeoutMs).toBe(MAX_TIMEOUT_MS);
    expect(createJob('x', null, { runAt: NOW + MAX_DELAY_MS }, NOW).runAt).toBe(NOW + MAX_DELAY_MS);
  });

  it('rejects a delay, runAt or timeout past 10 years with a RangeError naming it', () => {
    const cases: [JobOptions, RegExp][] = [
      [{ delay: 1e308 }, /^delay must be at most 87600h \(10 years\); got 1e\+308ms$/],
      [{ delay: '87601h' }, /^delay must be at most 87600h/],
      [{ runAt: 1e300 }, /^runAt must be at most 87600h \(10 years\) ahead/],
      [{ runAt: NOW + MAX_DELAY_MS + 1 }, /^runAt must be at most 87600h/],
      [{ runAt: new Date(NOW + 11 * 365 * 86_400_000) }, /^runAt must be at most 87600h/],
      [{ timeout: MAX_TIMEOUT_MS + 1 }, /^timeout must be at most 87600h/],
      [{ timeout: `1${'0'.repeat(400)}h` }, /^timeout: duration .* is too long to be a number/],
      [{ backoff: { initial: 1e300 } }, /^backoff.initial must be at most 87600h/],
    ];
    for (const [options, message] of cases) {
      expect(() => createJob('x', null, options, NOW)).toThrow(RangeError);
      expect(() => createJob('x', null, options, NOW)).toThrow(message);
    }
  });

  it('makes ids that sort by creation', () => {
    const ids = Array.from({ length: 1000 }, () => createJob('x', null, {}, NOW).id);
    expect([...ids].sort()).toEqual(ids);
  });
});

/** An object nested `levels` deep, `{ next: { next: ... { end: true } } }`. */
describe('createJob payload depth', () => {
  it(`keeps a payload nested ${MAX_JSON_DEPTH} levels deep and refuses one level more, naming it`, () => {
    const deepest = deepNesting(MAX_JSON_DEPTH - 1);
    expect(createJob('x', deepest, {}, NOW).payload).toStrictEqual(deepest);
    expect(() => createJob('x', deepNesting(MAX_JSON_DEPTH), {}, NOW)).toThrow(
      new RangeError(`payload must nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`),
    );
    // Deep enough that a later serialisation on a deeper call path could run out of stack:
    // refused by the bound, or where the stack is shallower by the serialisation itself.
    let arrays: unknown = [];
    for (let i = 0; i < 4200; i++) arrays = [arrays];
    expect(() => createJob('x', arrays, {}, NOW)).toThrow(/^payload must /);
  });
});

describe('createJob text', () => {
  it('refuses NUL characters and unpaired surrogates wherever a store would change them', () => {
    const bad = 'k\ud800X';
    const message = (name: string) =>
      new RangeError(`${name} must be well-formed Unicode text without NUL characters`);
    expect(() => createJob('x', { s: 'a\u0000b' }, {}, NOW)).toThrow(
      new RangeError('payload must hold well-formed Unicode text without NUL characters'),
    );
    expect(() => createJob('x', [{ [bad]: 1 }], {}, NOW)).toThrow(
      new RangeError('payload must hold well-formed Unicode text without NUL characters'),
    );
    expect(() => createJob('x', null, { idempotencyKey: bad }, NOW)).toThrow(
      message('idempotencyKey'),
    );
    expect(() => createJob('x', null, { correlationId: 'c\u0000' }, NOW)).toThrow(
      message('correlationId'),
    );
    expect(() => createJob('x', null, { tags: { [bad]: 'v' } }, NOW)).toThrow(message('tags'));
    expect(() => createJob('x', null, { tags: { k: bad } }, NOW)).toThrow(message('tags.k'));
    expect(() => createJob('x', null, { unique: { key: bad } }, NOW)).toThrow(
      message('unique.key'),
    );
    expect(() => createJob('x', null, { debounce: { key: bad, wait: '1s' } }, NOW)).toThrow(
      message('debounce.key'),
    );
    // Paired surrogates and other text are kept as given.
    const fine = createJob(
      'x',
      { s: '😀 ümlaut' },
      { idempotencyKey: 'k😀', tags: { t: '😀' } },
      NOW,
    );
    expect(fine.payload).toEqual({ s: '😀 ümlaut' });
    expect(fine.idempotencyKey).toBe('k😀');
  });

  it('bounds tags: count, key and value length, and keys a filter can name', () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    expect(() => createJob('x', null, { tags: many }, NOW)).toThrow(
      new RangeError('tags must hold at most 64 tags; got 65'),
    );
    delete many.k64;
    expect(Object.keys(createJob('x', null, { tags: many }, NOW).tags)).toHaveLength(64);
    for (const key of ['', 'a:b', 'k'.repeat(201)]) {
      expect(() => createJob('x', null, { tags: { [key]: 'v' } }, NOW), key).toThrow(
        /^tags: a key must be 1\.\.200 characters without ":"/,
      );
    }
    expect(() => createJob('x', null, { tags: { k: 'v'.repeat(1001) } }, NOW)).toThrow(
      new RangeError('tags.k must be at most 1000 characters'),
    );
    expect(
      createJob('x', null, { tags: { ['k'.repeat(200)]: 'v'.repeat(1000) } }, NOW).tags,
    ).toEqual({
      ['k'.repeat(200)]: 'v'.repeat(1000),
    });
  });

  it('keeps times in whole milliseconds, rounding a fraction up', () => {
    expect(createJob('x', null, { delay: 0.5 }, NOW).runAt).toBe(NOW + 1);
    expect(createJob('x', null, { delay: '2500us' }, NOW).runAt).toBe(NOW + 3);
    expect(createJob('x', null, { runAt: NOW + 100.25 }, NOW).runAt).toBe(NOW + 101);
    expect(createJob('x', null, { timeout: 1.5 }, NOW).timeoutMs).toBe(2);
    expect(createJob('x', null, { ttl: 500.5 }, NOW).expiresAt).toBe(NOW + 501);
  });
});

function deepNesting(levels: number): object {
  let value: object = { end: true };
  for (let i = 0; i < levels; i++) value = { next: value };
  return value;
}
