#!/usr/bin/env node
// The `gq` launcher. After `pnpm build` it runs the compiled CLI; in a fresh clone (no dist yet,
// or GQ_FROM_SOURCE=1) it runs the TypeScript sources through tsx, reading the sibling
// @gopherqueue packages from their sources too, so `npx gq serve` works before any build.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const dist = new URL('../dist/main.js', import.meta.url);
if (process.env.GQ_FROM_SOURCE !== '1' && existsSync(fileURLToPath(dist))) {
  await import(dist.href);
} else {
  register('./source-condition.js', import.meta.url);
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
