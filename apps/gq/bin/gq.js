#!/usr/bin/env node
// The `gq` launcher. After `pnpm build` it runs the compiled CLI; in a fresh clone (no dist yet,
// or GQ_FROM_SOURCE=1) it runs the TypeScript sources through tsx, reading the sibling
// @gopherqueue packages from their sources too, so `npx gq serve` works before any build.
//
// tsx is registered for the CLI's own sources only (a tsx namespace), never for the whole
// process: a user's `--handlers` module is imported by `importModule` below, from this file,
// with Node's own loader, so a `.js` handlers module loads the same way before and after a build
// (ESM or CommonJS as Node decides). TypeScript handlers go through tsx's `tsImport` in both modes.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

/** Imports a module with Node's own loader (this file is never under tsx). */
const importModule = (url) => import(url);

const dist = new URL('../dist/main.js', import.meta.url);
let entry;
if (process.env.GQ_FROM_SOURCE !== '1' && existsSync(fileURLToPath(dist))) {
  entry = await import(dist.href);
} else {
  register('./source-condition.js', import.meta.url);
  const { register: registerTsx } = await import('tsx/esm/api');
  const tsx = registerTsx({ namespace: 'gq-source' });
  entry = await tsx.import('../src/main.ts', import.meta.url);
}
await entry.main({ importModule });
