import { describe, expect, it } from 'vitest';
import {
  appendError,
  appendTransition,
  boundedError,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_ERROR_STACK_LENGTH,
  MAX_ERRORS,
  MAX_TRANSITIONS,
  truncateText,
  type JobError,
  type JobTransition,
} from './job.js';
import {
  isBadText,
  jsonValueProblem,
  jsonTooDeep,
  MAX_JSON_DEPTH,
  MAX_PROGRESS_LENGTH,
  progressProblem,
  rfc3339Ms,
  textProblem,
  wellFormedText,
} from './limits.js';

const entry = (n: number): JobTransition => ({ state: 'running', at: n, attempt: n });

describe('appendTransition', () => {
  it('starts a list for a job stored before transitions were recorded', () => {
    expect(appendTransition(undefined, entry(1))).toEqual([entry(1)]);
  });

  it('appends to a copy, leaving the given list as it was', () => {
    const list = [entry(0)];
    const next = appendTransition(list, entry(1));
    expect(next).toEqual([entry(0), entry(1)]);
    expect(list).toEqual([entry(0)]);
  });

  it(`keeps the first and the latest ${MAX_TRANSITIONS - 1} once ${MAX_TRANSITIONS} are held`, () => {
    const full = Array.from({ length: MAX_TRANSITIONS }, (_, i) => entry(i));
    const next = appendTransition(full, entry(MAX_TRANSITIONS));
    expect(next).toHaveLength(MAX_TRANSITIONS);
    expect(next.map((t) => t.at)).toEqual([0, ...Array.from({ length: 49 }, (_, i) => i + 2)]);
  });

  it('cuts an over-long list (an import of another build) to the bound', () => {
    const long = Array.from({ length: 80 }, (_, i) => entry(i));
    const next = appendTransition(long, entry(80));
    expect(next.map((t) => t.at)).toEqual([0, ...Array.from({ length: 49 }, (_, i) => i + 32)]);
  });
});

describe('truncateText', () => {
  it('keeps a text within the bound and cuts a longer one to exactly the bound, with a note', () => {
    expect(truncateText('abc', 3)).toBe('abc');
    const cut = truncateText('x'.repeat(100), 40);
    expect(cut).toBe('x'.repeat(15) + '... [85 more characters]');
    expect(cut).toHaveLength(39);
  });

  it('never splits a surrogate pair', () => {
    // 15 kept would end between the two halves of the emoji at 14 and 15.
    const text = 'a'.repeat(14) + '😀' + 'b'.repeat(84);
    const cut = truncateText(text, 40);
    expect(cut).toBe('a'.repeat(14) + '... [86 more characters]');
  });
});

const failure = (n: number): JobError => ({
  attempt: n,
  message: `failure ${n}`,
  errorClass: 'error',
  at: n,
});

describe('boundedError and appendError', () => {
  it('returns the same error when nothing is over its bound', () => {
    const error = { ...failure(1), name: 'TypeError', stack: 'at x' };
    expect(boundedError(error)).toBe(error);
  });

  it('cuts the message, stack and name of a huge error to their bounds', () => {
    const error = {
      ...failure(1),
      message: 'm'.repeat(1_000_000),
      name: 'n'.repeat(500),
      stack: 's'.repeat(1_000_000),
    };
    const bounded = boundedError(error);
    // The note is sized for the longest count, so a cut that drops a digit ends one short.
    expect(bounded.message).toBe('m'.repeat(8163) + '... [991837 more characters]');
    expect(bounded.message).toHaveLength(MAX_ERROR_MESSAGE_LENGTH - 1);
    expect(bounded.stack).toBe('s'.repeat(16_355) + '... [983645 more characters]');
    expect(bounded.stack?.length).toBe(MAX_ERROR_STACK_LENGTH - 1);
    expect(bounded.name).toBe('n'.repeat(175) + '... [325 more characters]');
    expect(bounded.attempt).toBe(1);
    expect(error.message).toHaveLength(1_000_000);
  });

  it(`keeps the first and the latest ${MAX_ERRORS - 1} failures, each bounded`, () => {
    let list: JobError[] = [];
    for (let i = 1; i <= 120; i++) list = appendError(list, failure(i));
    expect(list).toHaveLength(MAX_ERRORS);
    expect(list.map((e) => e.attempt)).toEqual([
      1,
      ...Array.from({ length: 49 }, (_, i) => i + 72),
    ]);
    const big = appendError(list.slice(0, 1), { ...failure(2), message: 'y'.repeat(20_000) });
    expect(big.map((e) => e.message.length)).toEqual([9, MAX_ERROR_MESSAGE_LENGTH]);
  });
});

const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
};

describe('jsonTooDeep and progressProblem', () => {
  it(`allows ${MAX_JSON_DEPTH} levels of objects and arrays and no more, without recursing`, () => {
    expect(jsonTooDeep(1)).toBe(false);
    expect(jsonTooDeep([])).toBe(false);
    expect(jsonTooDeep(nested(1), 1)).toBe(false);
    expect(jsonTooDeep(nested(2), 1)).toBe(true);
    expect(jsonTooDeep(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonTooDeep(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    // Far deeper than a recursive walk could go.
    expect(jsonTooDeep(nested(200_000))).toBe(true);
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(jsonTooDeep(cycle)).toBe(true);
  });

  it('bounds progress by its JSON length and depth', () => {
    expect(progressProblem(50)).toBeUndefined();
    expect(progressProblem({ done: 3, of: 10 })).toBeUndefined();
    const long = { text: 'p'.repeat(MAX_PROGRESS_LENGTH) };
    expect(progressProblem(long)).toBe(
      `progress must be at most ${MAX_PROGRESS_LENGTH} characters as JSON; got ${MAX_PROGRESS_LENGTH + 11}`,
    );
    expect(progressProblem(-1)).toBe(
      'progress must be a number from 0 to 100 or an object; got -1',
    );
    expect(progressProblem([1])).toBe(
      'progress must be a number from 0 to 100 or an object; got an array',
    );
    expect(progressProblem(null)).toBe(
      'progress must be a number from 0 to 100 or an object; got null',
    );
    expect(progressProblem({ d: nested(MAX_JSON_DEPTH) })).toBe(
      `progress must nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`,
    );
  });
});

describe('text every store keeps as given', () => {
  it('finds NUL characters and unpaired surrogates, and nothing else', () => {
    for (const bad of ['a\u0000b', 'k\ud800X', 'k\udfff', '\udc00\ud800', 'end\ud83d']) {
      expect(isBadText(bad)).toBe(true);
    }
    for (const good of ['', 'plain', 'ümlaut', '😀 pair', '\u2028', 'tab\tnew\nline']) {
      expect(isBadText(good)).toBe(false);
    }
    expect(wellFormedText('a\u0000b\ud800c😀')).toBe('a\ufffdb\ufffdc😀');
    expect(textProblem('idempotencyKey', 'k\ud801X')).toBe(
      'idempotencyKey must be well-formed Unicode text without NUL characters',
    );
    expect(jsonValueProblem('result', { ok: ['fine', { ['k\u0000']: 1 }] })).toBe(
      'result must hold well-formed Unicode text without NUL characters',
    );
    expect(jsonValueProblem('result', { ok: ['fine', '😀'] })).toBeUndefined();
  });

  it('replaces bad text in an error rather than refusing it', () => {
    const error = { ...failure(1), message: 'bad byte \u0000 here', stack: 'at \udc00' };
    expect(boundedError(error)).toEqual({
      ...failure(1),
      message: 'bad byte \ufffd here',
      stack: 'at \ufffd',
    });
  });
});

describe('rfc3339Ms', () => {
  it('reads RFC 3339 date-times with an offset, and nothing Date.parse would guess at', () => {
    expect(rfc3339Ms('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(rfc3339Ms('2026-01-01T01:00:00.5+01:00')).toBe(Date.UTC(2026, 0, 1) + 500);
    expect(rfc3339Ms('2024-02-29 12:00:00z')).toBe(Date.UTC(2024, 1, 29, 12));
    for (const text of [
      '12/25/2026',
      'June 1 2027',
      '2026-12-03 10:00',
      '2026-12-03T10:00:00',
      '2026-12-03',
      '1',
      '2026-02-30T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:01Z',
    ]) {
      expect(rfc3339Ms(text), text).toBeUndefined();
    }
  });
});
