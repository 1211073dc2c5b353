import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler } from '@gopherqueue/worker';
import { CliError } from './cli-error.js';

/** Job types mapped to their handlers. */
export type HandlerMap = Record<string, Handler>;

/**
 * Imports a `--handlers` module and returns its default export, an object that maps job types to
 * handler functions. A path is resolved against `cwd`; a bare name is imported as a package.
 * @throws CliError when the module cannot be loaded or its default export is not such an object.
 */
export async function loadHandlers(specifier: string, cwd: string): Promise<HandlerMap> {
  const isPath =
    specifier.startsWith('.') || isAbsolute(specifier) || /\.[cm]?[jt]s$/.test(specifier);
  const url = isPath ? pathToFileURL(resolve(cwd, specifier)).href : specifier;
  let module: { default?: unknown };
  try {
    module = (await import(url)) as { default?: unknown };
  } catch (cause) {
    throw new CliError(`cannot load --handlers ${specifier}: ${(cause as Error).message}`, 1, {
      cause,
    });
  }
  const handlers = module.default;
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
