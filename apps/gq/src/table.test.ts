import { describe, expect, it } from 'vitest';
import { formatFields, formatTable } from './table.js';

describe('formatTable', () => {
  it('pads columns to their widest cell and right-aligns numbers', () => {
    const rows = [
      { name: 'default', n: 5 },
      { name: 'emails', n: 120 },
    ];
    const text = formatTable(rows, [
      { header: 'QUEUE', value: (r) => r.name },
      { header: 'N', value: (r) => String(r.n), right: true },
    ]);
    expect(text).toBe('QUEUE      N\ndefault    5\nemails   120\n');
  });

  it('prints the header alone for no rows', () => {
    expect(formatTable([], [{ header: 'ID', value: () => '' }])).toBe('ID\n');
  });
});

describe('formatFields', () => {
  it('aligns values after the longest key', () => {
    expect(
      formatFields([
        ['id', 'x'],
        ['state', 'running'],
      ]),
    ).toBe('id:    x\nstate: running\n');
  });
});

describe('escaping', () => {
  it('writes control characters of cells and values as escapes, so no value drives the terminal', () => {
    const table = formatTable(
      [{ message: 'boom\u001b[2J\nfake line' }],
      [{ header: 'ERROR', value: (r) => r.message }],
    );
    expect(table).toBe('ERROR\nboom\\u001b[2J\\nfake line\n');
    expect(formatFields([['last error', '\u009b31mred\r']])).toBe('last error: \\u009b31mred\\r\n');
  });
});
