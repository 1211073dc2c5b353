import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DeclaredSchedule } from '@gopherqueue/scheduler';
import type { Handler, Isolation } from '@gopherqueue/worker';
import type { tsImport as TsImport } from 'tsx/esm/api';
import { CliError } from './cli-error.js';
import { readDeclaredSchedules } from './declared-schedules.js';
import type { ModuleImporter } from './cli-io.js';
import { describeLoadError } from './module-load-error.js';

/** Job types mapped to their handlers. */
export type HandlerMap = Record<string, Handler>;

/**
 * One job type of a handlers module: its function, and where it runs. An entry is a function, or
 * `{ handler, isolation, memoryMb, sandboxes, jobsPerSandbox }`.
 */
export interface HandlerEntry {
  handler: Handler;
  /** Where it runs. @defaultValue the `--isolation` flag */
  isolation?: Isolation;
  /** Heap limit of each sandbox in MB (thread and process only). */
  memoryMb?: number;
  /** Sandboxes kept for the type (thread and process only). */
  sandboxes?: number;
  /** Jobs one sandbox runs at once (thread and process only). */
  jobsPerSandbox?: number;
}

/** A loaded `--handlers` module. */
export interface HandlerModule {
  /** The module as given (`./handlers.js`), for messages. */
  name: string;
  /** What a sandbox imports: the file's `file:` URL, or the package name. */
  specifier: string;
  /** Job types mapped to their entries. */
  entries: Record<string, HandlerEntry>;
  /** Its `schedules` export, when it has one (see `readDeclaredSchedules`). */
  schedules?: DeclaredSchedule[];
}

const ENTRY_FIELDS = new Set(['handler', 'isolation', 'memoryMb', 'sandboxes', 'jobsPerSandbox']);
const ISOLATIONS: readonly unknown[] = ['inline', 'thread', 'process'];

/** File names tsx compiles: `.ts`, `.mts`, `.cts`. */
const TYPESCRIPT_FILE = /\.[cm]?ts$/;

const importHere: ModuleImporter = (url) => import(url);

/**
 * Imports a `--handlers` module and returns its job types mapped to their functions, for a
 * program that runs every handler inline (isolation entries are read as their functions).
 * @throws CliError as {@link loadHandlerModule} does.
 */
export async function loadHandlers(
  specifier: string,
  cwd: string,
  importModule: ModuleImporter = importHere,
): Promise<HandlerMap> {
  const loaded = await loadHandlerModule(specifier, cwd, importModule);
  const map: HandlerMap = {};
  for (const [type, entry] of Object.entries(loaded.entries)) map[type] = entry.handler;
  return map;
}

/**
 * Imports a `--handlers` module; its default export maps job types to entries: a handler
 * function, or `{ handler, isolation, memoryMb, sandboxes, jobsPerSandbox }`. A path is resolved
 * against `cwd`; a bare name is imported as a package.
 * JavaScript (`.js`, `.mjs`, `.cjs`) is imported by `importModule`, Node's own loader, which
 * reads a `.js` file as ESM or CommonJS as Node always does (the nearest package.json `type`,
 * else the module's syntax); TypeScript (`.ts`, `.mts`, `.cts`) is compiled by tsx for that
 * module and what it imports only. A CommonJS module's `module.exports` is its default export.
 * @throws CliError when the file is missing, cannot be loaded (a syntax error names the file,
 * line and column), or its default export is not such an object.
 */
export async function loadHandlerModule(
  specifier: string,
  cwd: string,
  importModule: ModuleImporter = importHere,
): Promise<HandlerModule> {
  const isPath =
    specifier.startsWith('.') || isAbsolute(specifier) || /\.[cm]?[jt]s$/.test(specifier);
  const fail = (reason: string, cause?: unknown): CliError =>
    new CliError(`cannot load --handlers ${specifier}: ${reason}`, 1, { cause });
  let namespace: unknown;
  let moduleSpecifier = specifier;
  if (isPath) {
    const file = resolve(cwd, specifier);
    const info = await stat(file).catch(() => undefined);
    if (info === undefined) throw fail(`no such file ${file}`);
    if (!info.isFile()) throw fail(`${file} is not a file`);
    const url = pathToFileURL(file).href;
    moduleSpecifier = url;
    try {
      namespace = TYPESCRIPT_FILE.test(file)
        ? await importTypeScript(url, importModule)
        : await importModule(url);
    } catch (cause) {
      throw fail(describeLoadError(cause, file), cause);
    }
  } else {
    try {
      namespace = await importModule(specifier);
    } catch (cause) {
      if ((cause as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') {
        throw fail(`no package named "${specifier}" is installed; name a file (./handlers.js)`);
      }
      throw fail(describeLoadError(cause, undefined), cause);
    }
  }
  const handlers = defaultExport(namespace);
  if (handlers === null || typeof handlers !== 'object' || Array.isArray(handlers)) {
    throw new CliError(
      `--handlers ${specifier} must default-export an object mapping job types to functions`,
    );
  }
  const declared = (namespace as { schedules?: unknown }).schedules;
  const entries: Record<string, HandlerEntry> = {};
  for (const [type, value] of Object.entries(handlers)) {
    // CommonJS: `exports.schedules` is in the default export too.
    if (type === 'schedules' && value === declared) continue;
    entries[type] = handlerEntry(value, (problem) => {
      return new CliError(`--handlers ${specifier}: handler "${type}" ${problem}`);
    });
  }
  const loaded: HandlerModule = { name: specifier, specifier: moduleSpecifier, entries };
  if (declared !== undefined) loaded.schedules = readDeclaredSchedules(declared, specifier);
  return loaded;
}

/**
 * Reads one entry of a handlers module: a function, or an object with a `handler` function and
 * where to run it. The sizes are checked when the handler is registered.
 */
function handlerEntry(value: unknown, fail: (problem: string) => CliError): HandlerEntry {
  if (typeof value === 'function') return { handler: value as Handler };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw fail('is not a function');
  }
  const entry = value as Record<string, unknown>;
  if (typeof entry.handler !== 'function') {
    throw fail(
      'must be a function or { handler, isolation, memoryMb }: its handler is not a function',
    );
  }
  const unknown = Object.keys(entry).find((key) => !ENTRY_FIELDS.has(key));
  if (unknown !== undefined) {
    throw fail(`has an unknown field "${unknown}" (known: ${[...ENTRY_FIELDS].join(', ')})`);
  }
  if (entry.isolation !== undefined && !ISOLATIONS.includes(entry.isolation)) {
    throw fail(`has isolation ${JSON.stringify(entry.isolation)}; use inline, thread or process`);
  }
  return entry as unknown as HandlerEntry;
}

/**
 * Imports a TypeScript module through tsx, registered for it (and its imports) alone. tsx itself
 * is imported by `importModule` too: when the CLI runs from source, a tsx imported from here
 * would be a second copy inside the CLI's own tsx namespace, and would compile into that one.
 */
async function importTypeScript(url: string, importModule: ModuleImporter): Promise<unknown> {
  const { tsImport } = (await importModule('tsx/esm/api')) as { tsImport: typeof TsImport };
  const namespace: unknown = await tsImport(url, url);
  return namespace;
}

/**
 * The module's default export. CommonJS compiled from `export default` (tsx's output for a `.ts`
 * file outside `"type": "module"`, or TypeScript's own CommonJS) marks its exports object with
 * `__esModule` and keeps the default export in its `default` property.
 */
function defaultExport(namespace: unknown): unknown {
  const value = (namespace as { default?: unknown }).default;
  if (
    value !== null &&
    typeof value === 'object' &&
    (value as { __esModule?: unknown }).__esModule === true &&
    'default' in value
  ) {
    return value.default;
  }
  return value;
}
