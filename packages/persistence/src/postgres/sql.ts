/** Quotes or backslashes: the characters a string literal must escape. */
const NEEDS_ESCAPE = /['\\]/;

/**
 * A SQL string literal of `text`, exactly as `pg.escapeLiteral` writes it (quotes doubled, and
 * with a backslash, backslashes doubled in an `E''` literal), without its cost: it builds the
 * literal a character at a time, which made escaping a batch's ids, lease tokens and results
 * a fifth of what a drain on PostgreSQL allocated. Most texts (ids, tokens) need no escape.
 */
export function escapeLiteral(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return "'" + text + "'";
  const quoted = "'" + text.replaceAll("'", "''").replaceAll('\\', '\\\\') + "'";
  return text.includes('\\') ? ' E' + quoted : quoted;
}

/** A SQL literal of a text array (`ARRAY['a','b']::text[]`), or `NULL::text[]`. */
export function textArray(values: readonly string[] | undefined): string {
  if (values === undefined) return 'NULL::text[]';
  return `ARRAY[${values.map(escapeLiteral).join(',')}]::text[]`;
}

/**
 * A SQL string literal of `text` in dollar quotes (`$gq$...$gq$`), whose content PostgreSQL
 * takes as is, with no escapes to read (so it does not depend on `standard_conforming_strings`)
 * and none to write: escaping walks a string a character at a time, which for the
 * hundreds of kilobytes of a batch's JSON took milliseconds, most of what the INSERT took. The
 * quote ends at the first occurrence of its tag, so the tag is one that first occurs in
 * `text + tag` at its end (not inside `text`, nor begun by the end of `text`, as `$gq` + `$gq$`
 * would be).
 */
export function dollarQuoted(text: string): string {
  let tag = '$gq$';
  for (let n = 0; (text + tag).indexOf(tag) !== text.length; n++) tag = `$gq${n}$`;
  return tag + text + tag;
}

/** A value {@link inlineValues} can write as a literal. */
export type InlineValue = number | string | null | readonly string[];

/**
 * `sql` with each `$n` replaced by the literal of `values[n - 1]` (in parentheses), so a
 * statement built with parameters can travel in a simple-protocol message. Numbers must be
 * finite; an array is a text array.
 */
export function inlineValues(sql: string, values: readonly InlineValue[]): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const value = values[Number(n) - 1];
    if (value === undefined) throw new RangeError(`no value for $${n}`);
    if (value === null) return 'NULL';
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new RangeError(`$${n} is not a finite number`);
      return `(${value})`;
    }
    if (typeof value === 'string') return escapeLiteral(value);
    return `(${textArray(value)})`;
  });
}

/**
 * Folds the counter shards of backends that no longer exist into shard 0, so the counts table
 * stays as small as the number of live connections times queues, states and priorities.
 */
export function compactCountsSql(s: string): string {
  return `WITH gone AS (
    DELETE FROM ${s}.counts
    WHERE shard <> 0 AND shard NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
    RETURNING queue, state, priority, n
  ), sums AS (
    SELECT queue, state, priority, sum(n)::bigint AS n FROM gone GROUP BY queue, state, priority
  )
  INSERT INTO ${s}.counts AS c (shard, queue, state, priority, n)
  SELECT 0, queue, state, priority, n FROM sums ORDER BY queue, state, priority
  ON CONFLICT (shard, queue, state, priority) DO UPDATE SET n = c.n + excluded.n`;
}
