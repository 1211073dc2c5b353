// The loader of the sandboxes of `gq serve` (the worker threads and child processes that run
// handlers with `isolation: 'thread'` or `'process'`). Each sandbox imports this file first, then
// its `--handlers` module through `importModule` below, so the module loads there as the `gq`
// launcher loads it in the server: JavaScript with Node's own loader, TypeScript through tsx's
// `tsImport`, before and after a build.
//
// Before a build (no dist, or GQ_FROM_SOURCE=1) the @gopherqueue packages a handlers module
// imports exist only as TypeScript sources: the same resolution hook as the launcher's
// (source-condition.js) hands them to a tsx namespace that compiles them.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

/** File names tsx compiles: `.ts`, `.mts`, `.cts`. */
const TYPESCRIPT_FILE = /\.[cm]?ts$/;

const dist = new URL('../dist/main.js', import.meta.url);
if (process.env.GQ_FROM_SOURCE === '1' || !existsSync(fileURLToPath(dist))) {
  register('./source-condition.js', import.meta.url);
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx({ namespace: 'gq-source' });
}

/** Imports a handlers module: a `file:` URL, or a package name resolved from here. */
export async function importModule(specifier) {
  if (specifier.startsWith('file:') && TYPESCRIPT_FILE.test(new URL(specifier).pathname)) {
    const { tsImport } = await import('tsx/esm/api');
    return tsImport(specifier, specifier);
  }
  return import(specifier);
}
