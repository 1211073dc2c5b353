import { escapeControl } from '@gopherqueue/observability';

/** A column of {@link formatTable}. */
export interface Column<Row> {
  header: string;
  value(row: Row): string;
  /** Right-align (numbers). @defaultValue false */
  right?: boolean;
}

/**
 * Lays rows out as a plain-text table: a header line, then one line per row, columns separated by
 * two spaces and padded to their widest cell; trailing spaces are trimmed. Control characters in
 * a cell (a job's error message, a tag) are written as escapes, so no value can drive the terminal.
 */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => escapeControl(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => (line[i] as string).length)),
  );
  const render = (line: readonly string[]): string =>
    line
      .map((cell, i) => {
        const width = widths[i] as number;
        return columns[i]?.right === true ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [render(columns.map((c) => c.header)), ...cells.map(render)].join('\n') + '\n';
}

/** Lays out `key: value` pairs with the values aligned, control characters escaped. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...fields.map(([key]) => key.length));
  return (
    fields
      .map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${escapeControl(value)}`)
      .join('\n') + '\n'
  );
}
