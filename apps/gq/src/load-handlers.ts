import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler } from '@gopherqueue/worker';
import type { tsImport as TsImport } from 'tsx/esm/api';
import { CliError } from './cli-error.js';
import type { ModuleImporter } from './cli-io.js';
import { describeLoadError } from './module-load-error.js';

/** Job types mapped to their handlers. */
export type HandlerMap = Record<string, Handler>;

/** File names tsx compiles: `.ts`, `.mts`, `.cts`. */
const TYPESCRIPT_FILE = /\.[cm]?ts$/;

const importHere: ModuleImporter = (url) => import(url);

/**
 * Imports a `--handlers` module and returns its default export, an object that maps job types to
 * handler functions. A path is resolved against `cwd`; a bare name is imported as a package.
 * JavaScript (`.js`, `.mjs`, `.cjs`) is imported by `importModule`, Node's own loader, which
 * reads a `.js` file as ESM or CommonJS as Node always does (the nearest package.json `type`,
 * else the module's syntax); TypeScript (`.ts`, `.mts`, `.cts`) is compiled by tsx for that
 * module and what it imports only. A CommonJS module's `module.exports` is its default export.
 * @throws CliError when the file is missing, cannot be loaded (a syntax error names the file,
 * line and column), or its default export is not such an object.
 */
export async function loadHandlers(
  specifier: string,
  cwd: string,
  importModule: ModuleImporter = importHere,
): Promise<HandlerMap> {
  const isPath =
    specifier.startsWith('.') || isAbsolute(specifier) || /\.[cm]?[jt]s$/.test(specifier);
  const fail = (reason: string, cause?: unknown): CliError =>
    new CliError(`cannot load --handlers ${specifier}: ${reason}`, 1, { cause });
  let namespace: unknown;
  if (isPath) {
    const file = resolve(cwd, specifier);
    const info = await stat(file).catch(() => undefined);
    if (info === undefined) throw fail(`no such file ${file}`);
    if (!info.isFile()) throw fail(`${file} is not a file`);
    const url = pathToFileURL(file).href;
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
  const map: HandlerMap = {};
  for (const [type, handler] of Object.entries(handlers)) {
    if (typeof handler !== 'function') {
      throw new CliError(`--handlers ${specifier}: handler "${type}" is not a function`);
    }
    map[type] = handler as Handler;
  }
  return map;
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
