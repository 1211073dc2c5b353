import { createJob, type Job } from '@gopherqueue/core';
import { describe, expect, it } from 'vitest';
import { jobToLine, ndjsonLines, parseJobLine } from './job-ndjson.js';

const NOW = Date.UTC(2026, 0, 1);

function storedJob(): Job {
  return {
    ...createJob('resize', { w: 640 }, { idempotencyKey: 'k1' }, NOW),
    state: 'failed',
    attempt: 1,
    runAt: NOW,
    waitingOn: [],
    errors: [{ attempt: 1, message: 'boom', errorClass: 'error', at: NOW + 5 }],
    transitions: [
      { state: 'scheduled', at: NOW, attempt: 0 },
      { state: 'running', at: NOW + 1, attempt: 1 },
      { state: 'failed', at: NOW + 9, attempt: 1 },
    ],
    seq: 3,
    createdAt: NOW,
    updatedAt: NOW + 9,
    finishedAt: NOW + 9,
  };
}

describe('parseJobLine', () => {
  it('reads back every field of a job written by jobToLine', () => {
    const job = storedJob();
    expect(parseJobLine(jobToLine(job), 1)).toEqual(job);
  });

  it('checks each field of the job field table by its kind, nested ones by their own table', () => {
    const line = (change: Record<string, unknown>): string =>
      JSON.stringify({ ...storedJob(), ...change });
    expect(() => parseJobLine(line({ attempt: -1 }), 2)).toThrow(
      'line 2: attempt must be a non-negative integer; got -1',
    );
    expect(() => parseJobLine(line({ finishedAt: 'yesterday' }), 3)).toThrow(
      'line 3: finishedAt must be a time in ms; got "yesterday"',
    );
    expect(() =>
      parseJobLine(line({ backoff: { ...storedJob().backoff, initialMs: '1s' } }), 4),
    ).toThrow('line 4: backoff.initialMs must be a number; got "1s"');
    expect(() =>
      parseJobLine(line({ errors: [{ attempt: 1, message: 'boom', errorClass: 'error' }] }), 5),
    ).toThrow('line 5: errors.0.at is missing');
    const withoutPayload: Partial<Job> = storedJob();
    delete withoutPayload.payload;
    expect(() => parseJobLine(JSON.stringify(withoutPayload), 6)).toThrow(
      'line 6: payload is missing',
    );
    expect(() =>
      parseJobLine(line({ transitions: [{ state: 'asleep', at: NOW, attempt: 0 }] }), 7),
    ).toThrow('line 7: transitions.0.state must be a job state; got "asleep"');
    expect(() => parseJobLine(line({ transitions: {} }), 8)).toThrow(
      'line 8: transitions must be a list of job transitions; got {}',
    );
    const many = Array.from({ length: 51 }, () => ({ state: 'running', at: NOW, attempt: 1 }));
    expect(() => parseJobLine(line({ transitions: many }), 9)).toThrow(
      'line 9: transitions must hold at most 50 job transitions; got 51',
    );
    const older: Partial<Job> = storedJob();
    delete older.transitions;
    expect(parseJobLine(JSON.stringify(older), 10)).toEqual(older);
  });

  it('refuses a job past a bound a submit or a store applies, naming the field', () => {
    const job = storedJob();
    const line = (change: Record<string, unknown>): string => JSON.stringify({ ...job, ...change });
    const refused = (change: Record<string, unknown>): string => {
      try {
        parseJobLine(line(change), 4);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(change).slice(0, 100)}`);
    };
    // The payload: any size a line holds (a store may have taken it in-process, or under a
    // larger body limit), its depth and text bounded.
    const big = 'x'.repeat(2 * 1024 * 1024);
    expect(parseJobLine(line({ payload: big }), 1).payload).toBe(big);
    const deep = (n: number): unknown => (n === 0 ? 1 : [deep(n - 1)]);
    expect(parseJobLine(line({ payload: deep(256) }), 1).payload).toEqual(deep(256));
    expect(refused({ payload: deep(257) })).toBe(
      'line 4: payload must nest objects and arrays at most 256 levels deep',
    );
    expect(refused({ result: deep(257) })).toBe(
      'line 4: result must nest objects and arrays at most 256 levels deep',
    );
    expect(refused({ payload: { text: 'a\u0000b' } })).toBe(
      'line 4: payload must hold well-formed Unicode text without NUL characters',
    );
    expect(refused({ checkpoint: { ['\ud800']: 1 } })).toBe(
      'line 4: checkpoint must hold well-formed Unicode text without NUL characters',
    );
    expect(refused({ progressMessage: 'half \udc00' })).toBe(
      'line 4: progressMessage must be well-formed Unicode text without NUL characters',
    );
    expect(refused({ cancelReason: '\u0000' })).toBe(
      'line 4: cancelReason must be well-formed Unicode text without NUL characters',
    );
    // What createJob checks of a submit.
    expect(refused({ maxAttempts: 1001 })).toBe(
      'line 4: maxAttempts must be an integer from 1 to 1000; got 1001',
    );
    expect(refused({ type: 'resize image' })).toBe(
      'line 4: type must be 1..200 characters of letters, digits and _.:-/; got "resize image"',
    );
    expect(refused({ queue: 'q'.repeat(201) })).toBe(
      `line 4: queue must be 1..200 characters of letters, digits and _.:-/; got "${'q'.repeat(99)}...`,
    );
    const tags = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    expect(refused({ tags })).toBe('line 4: tags must hold at most 64 tags; got 65');
    expect(refused({ tags: { team: 'v'.repeat(1001) } })).toBe(
      'line 4: tags.team must be at most 1000 characters',
    );
    expect(refused({ tags: { 'a:b': 'v' } })).toBe(
      'line 4: tags: a key must be 1..200 characters without ":" (a filter is key:value); got "a:b"',
    );
    expect(refused({ tags: { team: 'a\u0000' } })).toBe(
      'line 4: tags must hold well-formed Unicode text without NUL characters',
    );
    expect(refused({ idempotencyKey: 'k'.repeat(513) })).toBe(
      'line 4: idempotencyKey must be a non-empty string of at most 512 characters',
    );
    expect(refused({ retryOn: Array.from({ length: 33 }, (_, i) => `E${i}`) })).toBe(
      'line 4: retryOn must list at most 32 names; got 33',
    );
    expect(refused({ timeoutMs: 0 })).toBe('line 4: timeout must be greater than 0; got 0');
    expect(refused({ dependsOn: [job.id] })).toBe('line 4: a job cannot depend on itself');
    // What a store keeps of what a job gathers as it runs.
    const error = { attempt: 1, message: 'boom', errorClass: 'error', at: NOW };
    expect(parseJobLine(line({ errors: Array(50).fill(error) }), 1).errors).toHaveLength(50);
    expect(refused({ errors: Array(51).fill(error) })).toBe(
      'line 4: errors must hold at most 50 job errors; got 51',
    );
    expect(refused({ errors: [{ ...error, message: 'm'.repeat(8193) }] })).toBe(
      'line 4: errors.0.message must be at most 8192 characters; got 8193',
    );
    expect(refused({ errors: [error, { ...error, stack: 's'.repeat(16_385) }] })).toBe(
      'line 4: errors.1.stack must be at most 16384 characters; got 16385',
    );
    expect(refused({ progress: 150 })).toBe(
      'line 4: progress must be a number from 0 to 100 or an object; got 150',
    );
  });

  it('shows at most 100 characters of an offending value', () => {
    const line = JSON.stringify({ ...storedJob(), attempt: 'x'.repeat(10_000) });
    expect(() => parseJobLine(line, 3)).toThrow(
      expect.objectContaining({
        message: `line 3: attempt must be a non-negative integer; got "${'x'.repeat(99)}...`,
      }),
    );
    const list = JSON.stringify({ ...storedJob(), errors: { many: 'e'.repeat(500) } });
    expect(() => parseJobLine(list, 4)).toThrow(
      expect.objectContaining({
        message: `line 4: errors must be a list of job errors; got {"many":"${'e'.repeat(91)}...`,
      }),
    );
    // A cut never leaves half of a surrogate pair.
    const pairs = JSON.stringify({ ...storedJob(), seq: '😀'.repeat(100) });
    expect(() => parseJobLine(pairs, 5)).toThrow(
      expect.objectContaining({
        message: `line 5: seq must be a non-negative integer; got "${'😀'.repeat(49)}...`,
      }),
    );
  });
});

/** Every line {@link ndjsonLines} reads of `chunks`. */
async function linesOf(
  chunks: AsyncIterable<unknown> | Iterable<unknown>,
  maxBytes?: number,
): Promise<[string, number][]> {
  const out: [string, number][] = [];
  const source = (async function* () {
    yield* chunks;
  })();
  for await (const entry of ndjsonLines(source, maxBytes)) out.push(entry);
  return out;
}

describe('ndjsonLines', () => {
  it('reads lines across chunks, with \\n or \\r\\n, and a last line without one', async () => {
    const text = Buffer.from('{"a":"é"}\r\n\n{"b":2}\n{"c":3}');
    // Split inside the two bytes of é and between \r and \n.
    const chunks = [text.subarray(0, 8), text.subarray(8, 11), text.subarray(11)];
    expect(await linesOf(chunks)).toEqual([
      ['{"a":"é"}', 1],
      ['', 2],
      ['{"b":2}', 3],
      ['{"c":3}', 4],
    ]);
    expect(await linesOf(['{"a":1}\n'])).toEqual([['{"a":1}', 1]]);
  });

  it('refuses a line longer than the bound once that much was read, without reading the rest', async () => {
    expect(await linesOf(['x'.repeat(100), '\nok'], 100)).toEqual([
      ['x'.repeat(100), 1],
      ['ok', 2],
    ]);
    await expect(linesOf([`${'x'.repeat(101)}\n`], 100)).rejects.toMatchObject({
      message: 'line 1: longer than 100 bytes, the most a line may hold',
      line: 1,
    });
    let pulled = 0;
    function* endless(): Generator<Buffer> {
      yield Buffer.from('{"a":1}\n');
      for (;;) {
        pulled++;
        yield Buffer.alloc(1000, 'x');
      }
    }
    await expect(linesOf(endless(), 10_000)).rejects.toMatchObject({
      message: 'line 2: longer than 10000 bytes, the most a line may hold',
      line: 2,
    });
    expect(pulled).toBe(11);
  });
});
