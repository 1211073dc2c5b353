import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A CommonJS syntax error's stack starts `file:line`, the source line, then a caret line. */
const CJS_SYNTAX_LOCATION = /^(.*):(\d+)\r?\n.*\r?\n([ \t]*)\^/;
/** esbuild (through tsx) reports `file:line:column: ERROR: text`, the column counted from 0. */
const ESBUILD_LOCATION = /^(.+):(\d+):(\d+): ERROR: (.*)$/m;
/** `node --check` on standard input reports `[stdin]:line`, the source line, then a caret line. */
const STDIN_LOCATION = /^\[stdin\]:(\d+)\r?\n.*\r?\n([ \t]*)\^/m;

/**
 * Says in one line why a module could not be loaded. A syntax error names the file, line and
 * column (counted from 1): CommonJS and tsx errors carry them; for an ES module, whose error
 * does not, `file` (the module imported) is parsed again to find them.
 */
export function describeLoadError(err: unknown, file: string | undefined): string {
  if (!(err instanceof Error)) return String(err);
  const esbuild = ESBUILD_LOCATION.exec(err.message);
  if (esbuild !== null && err.message.startsWith('Transform failed')) {
    const [, where, line, column, text] = esbuild as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    return `syntax error at ${where}:${line}:${Number(column) + 1}: ${text}`;
  }
  if (err.name !== 'SyntaxError') return err.message;
  const cjs = CJS_SYNTAX_LOCATION.exec(err.stack ?? '');
  if (cjs !== null) {
    const [, where, line, indent] = cjs as unknown as [string, string, string, string];
    return `syntax error at ${where}:${line}:${indent.length + 1}: ${err.message}`;
  }
  // A SyntaxError thrown while the module ran (`JSON.parse`) has a frame of its own; one from
  // parsing an ES module has none but Node's, and no location at all.
  if (file === undefined || !onlyNodeFrames(err.stack ?? '')) return err.message;
  const location = locateModuleSyntaxError(file);
  return location === undefined
    ? `syntax error in a module that ${file} imports: ${err.message}`
    : `syntax error at ${file}:${location}: ${err.message}`;
}

/** True when every frame of `stack` is inside Node itself. */
function onlyNodeFrames(stack: string): boolean {
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .every((line) => line.includes('node:internal/'));
}

/**
 * Parses `file` as an ES module with `node --check` and returns where its syntax error is
 * (`line:column`), or undefined when it parses (the error is in a module it imports).
 */
function locateModuleSyntaxError(file: string): string | undefined {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const check = spawnSync(process.execPath, ['--input-type=module', '--check'], {
    input: source,
    encoding: 'utf8',
    timeout: 10_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const found = STDIN_LOCATION.exec(check.stderr);
  if (found === null) return undefined;
  const [, line, indent] = found as unknown as [string, string, string];
  return `${line}:${indent.length + 1}`;
}
