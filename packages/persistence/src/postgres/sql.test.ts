import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { describeWithPostgres } from './describe-with-postgres.js';
import { dollarQuoted, escapeLiteral, inlineValues, textArray } from './sql.js';
import { TEST_POSTGRES_URL } from './test-database.js';

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

/** Texts with and without the characters a literal escapes. */
const ODD_TEXTS = [
  '',
  '01a236f2-dbc3-7000-bc30-156bb017485b',
  `it's`,
  "''",
  'a\\b',
  '\\',
  `both ' and \\ and "`,
  '{"result":"don\'t \\n stop","n":1}',
  'ümlaut \u2028 😀',
  'line\nbreak',
];

describe('escapeLiteral', () => {
  it('writes what pg.escapeLiteral writes, for every text', () => {
    for (const text of ODD_TEXTS) expect(escapeLiteral(text)).toBe(pg.escapeLiteral(text));
    expect(escapeLiteral(`a'b\\c`)).toBe(` E'a''b\\\\c'`);
    expect(textArray(['x', "y'"])).toBe("ARRAY['x','y''']::text[]");
  });
});

describe('dollarQuoted', () => {
  it('quotes with a tag the text does not contain', () => {
    expect(dollarQuoted(`{"a":"it's \\ $1"}`)).toBe('$gq$' + `{"a":"it's \\ $1"}` + '$gq$');
    expect(dollarQuoted('x $gq$ y')).toBe('$gq0$x $gq$ y$gq0$');
    expect(dollarQuoted('$gq$ $gq0$')).toBe('$gq1$$gq$ $gq0$$gq1$');
    // `$gq` then the tag `$gq$` would hold `$gq$` one character early.
    expect(dollarQuoted('a $gq')).toBe('$gq0$a $gq$gq0$');
  });
});

describeWithPostgres('escapeLiteral in PostgreSQL', () => {
  it('reads back exactly the text it quoted, alone and in an array', async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    try {
      for (const text of ODD_TEXTS) {
        const { rows } = await client.query<{ t: string }>(
          `SELECT ${escapeLiteral(text)}::text AS t`,
        );
        expect(rows[0]?.t).toBe(text);
      }
      const { rows } = await client.query<{ a: string[] }>(`SELECT ${textArray(ODD_TEXTS)} AS a`);
      expect(rows[0]?.a).toEqual(ODD_TEXTS);
    } finally {
      await client.end();
    }
  });
});

describeWithPostgres('dollarQuoted in PostgreSQL', () => {
  it('reads back exactly the text it quoted', async () => {
    const texts = [
      `{"quote":"it's","backslash":"a\\b","dollar":"$gq$ $$ $1","line":"a\nb","json":"\\u0000"}`,
      'ends with a dollar $',
      '$gq',
      '',
    ];
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    try {
      for (const text of texts) {
        const { rows } = await client.query<{ t: string }>(
          `SELECT ${dollarQuoted(text)}::text AS t`,
        );
        expect(rows[0]?.t).toBe(text);
      }
    } finally {
      await client.end();
    }
  });
});
