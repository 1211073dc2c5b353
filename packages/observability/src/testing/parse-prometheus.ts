/**
 * The key of one sample: `name` alone, or `name{a="1",b="2"}` with labels sorted by name.
 * `metricKey('gq_jobs_completed_total', { type: 'echo', queue: 'default' })`.
 */
export function metricKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.keys(labels)
    .sort()
    .map((key) => `${key}="${labels[key] ?? ''}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses the Prometheus text format into samples keyed by {@link metricKey}.
 * @throws SyntaxError on a line that is neither a comment nor a sample
 */
export function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new SyntaxError(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key as string] = (value as string).replace(/\\(.)/g, (_, c: string) =>
        c === 'n' ? '\n' : c,
      );
    }
    samples.set(metricKey(match[1] as string, labels), parseValue(match[3] as string, line));
  }
  return samples;
}

/** A sample value; like Prometheus (Go's ParseFloat), NaN and Inf in any case. */
function parseValue(text: string, line: string): number {
  if (/^nan$/i.test(text)) return NaN;
  if (/^[+-]?inf$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  const value = Number(text);
  if (Number.isNaN(value)) throw new SyntaxError(`not a Prometheus value: ${line}`);
  return value;
}
