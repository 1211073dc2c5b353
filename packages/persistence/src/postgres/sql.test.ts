import { describe, expect, it } from 'vitest';
import { inlineValues } from './sql.js';

describe('inlineValues', () => {
  it('writes each $n as the literal of its value, $10 apart from $1', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 'ten'];
    expect(inlineValues('SELECT $1, $10, $1::bigint', values)).toBe(
      "SELECT (1), 'ten', (1)::bigint",
    );
  });

  it('quotes strings (quotes and backslashes included), arrays and null', () => {
    // A string with a backslash is written as an E'' literal (pg's escapeLiteral).
    expect(inlineValues('$1 $2 $3 $4', [`it's \\ "q"`, ['a', "b'c"], null, -3])).toBe(
      ` E'it''s \\\\ "q"' (ARRAY['a','b''c']::text[]) NULL (-3)`,
    );
    expect(inlineValues('$1::text[]', [[]])).toBe('(ARRAY[]::text[])::text[]');
  });

  it('does not read a $n inside a value it wrote', () => {
    expect(inlineValues('$1 = $2', ['$2', 'x'])).toBe("'$2' = 'x'");
  });

  it('refuses a missing value and a number that is not finite', () => {
    expect(() => inlineValues('$2', [1])).toThrow('no value for $2');
    expect(() => inlineValues('$1', [Number.NaN])).toThrow('$1 is not a finite number');
  });
});
