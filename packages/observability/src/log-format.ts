import { escapeControl } from './escape-control.js';

/** A log record as winston passes it through its formats. */
export interface LogInfo {
  level: string;
  message: unknown;
  [key: string]: unknown;
}

const RESET = '\u001b[0m';
const DIM = '\u001b[2m';
const LEVEL_COLORS: Record<string, string> = {
  error: '\u001b[31m',
  warn: '\u001b[33m',
  info: '\u001b[32m',
  debug: '\u001b[34m',
};

/** An Error as plain fields, so it survives JSON (`{ name, message, stack, code? }`). */
export function errorFields(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (err.stack !== undefined) out.stack = err.stack;
  return out;
}

/** Replaces Error values among the record's fields by their plain fields. */
export function toPlain<T extends LogInfo>(info: T): T {
  for (const key of Object.keys(info)) {
    const value = info[key];
    if (value instanceof Error) (info as Record<string, unknown>)[key] = errorFields(value);
  }
  return info;
}

/** A string printed bare: no whitespace, quote, `=` or control character. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const BARE = /^[^\s"=\u0000-\u001f\u007f-\u009f]+$/;

function formatValue(value: unknown): string {
  return escapeControl(formatRaw(value));
}

function formatRaw(value: unknown): string {
  if (typeof value === 'string') return BARE.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return String(value);
  }
  if (value === undefined) return 'undefined';
  try {
    // JSON.stringify answers undefined for functions and symbols.
    const text: string | undefined = JSON.stringify(value);
    return text ?? typeof value;
  } catch {
    return typeof value === 'bigint' ? value.toString() : '[unserializable]';
  }
}

const RESERVED = new Set(['level', 'message', 'timestamp']);

/**
 * One readable line: `2026-01-01T00:00:00.000Z info  job completed jobId=... attempt=1`.
 * Strings with spaces are quoted; objects are JSON; an error's stack follows on its own lines.
 * Control characters in the message, the field names and values and the stack are escaped.
 */
export function prettyLine(info: LogInfo, colors: boolean): string {
  const level = info.level.padEnd(5);
  const timestamp = typeof info.timestamp === 'string' ? info.timestamp : '';
  const parts: string[] = [];
  let stack: string | undefined;
  for (const key of Object.keys(info)) {
    if (RESERVED.has(key)) continue;
    const value = info[key];
    if (isErrorFields(value)) {
      parts.push(`${escapeControl(key)}=${formatValue(value.message)}`);
      stack ??= value.stack?.split('\n').map(escapeControl).join('\n');
      continue;
    }
    parts.push(
      colors
        ? `${DIM}${escapeControl(key)}=${RESET}${formatValue(value)}`
        : `${escapeControl(key)}=${formatValue(value)}`,
    );
  }
  const head = colors
    ? `${DIM}${timestamp}${RESET} ${LEVEL_COLORS[info.level] ?? ''}${level}${RESET}`
    : `${timestamp} ${level}`;
  const message =
    typeof info.message === 'string' ? escapeControl(info.message) : formatValue(info.message);
  const line = [head, message, ...parts].join(' ');
  return stack === undefined ? line : `${line}\n${stack}`;
}

function isErrorFields(value: unknown): value is { message: unknown; stack?: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'message' in value &&
    'name' in value &&
    'stack' in value &&
    typeof value.stack === 'string'
  );
}
