// C0 controls, DEL and C1 controls (U+009B is a CSI on its own in some terminals).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` with every control character written as an escape (`\n`, `\u001b`), so a value from
 * outside (a job's error message) cannot move the cursor, recolour or clear a terminal, or fake a
 * log line.
 */
export function escapeControl(text: string): string {
  return text.replace(
    CONTROL,
    (ch) => SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
