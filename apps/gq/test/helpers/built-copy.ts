import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './gq-process.js';

/** A built copy of the `gq` CLI and the packages it runs. */
export interface BuiltCopy {
  /** The copy's root (a temp directory). */
  readonly root: string;
  /** Its `gq` launcher, which finds `dist` and runs it. */
  readonly bin: string;
  /** Deletes the copy (never following its links into the repository). */
  remove(): Promise<void>;
}

/** Options every source file is compiled with: what `tsc -p tsconfig.build.json` emits as JS. */
const EMIT: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  verbatimModuleSyntax: true,
  sourceMap: false,
};

/**
 * Copies `apps/gq` and every package under `packages/` into a temp directory and compiles each
 * one's `src` into its `dist`, as `pnpm build` does, leaving the repository's own package
 * directories without `dist` (where the launcher would prefer it over the sources). Each file is
 * compiled on its own: the sources use `verbatimModuleSyntax`, so the JavaScript is the same as a
 * whole-program build's, without its type checking and declarations. The copy links to the
 * repository's installed dependencies; its workspace links point at the copy's own packages.
 */
export async function builtCopy(): Promise<BuiltCopy> {
  const root = await mkdtemp(join(tmpdir(), 'gq-built-'));
  const remove = (): Promise<void> => rm(root, { recursive: true, force: true });
  try {
    await symlink(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    const names = (await readdir(join(REPO_ROOT, 'packages'))).map((name) => `packages/${name}`);
    for (const dir of ['apps/gq', ...names]) await copyPackage(dir, root);
    return { root, bin: join(root, 'apps/gq/bin/gq.js'), remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

async function copyPackage(dir: string, root: string): Promise<void> {
  const from = join(REPO_ROOT, dir);
  const to = join(root, dir);
  await mkdir(to, { recursive: true });
  const entries = new Set(await readdir(from));
  if (!entries.has('package.json') || !entries.has('src')) return;
  for (const entry of ['package.json', 'bin', 'node_modules']) {
    // Workspace links are relative (`../../core`), so kept verbatim they name the copy's packages.
    if (entries.has(entry)) {
      await cp(join(from, entry), join(to, entry), { recursive: true, verbatimSymlinks: true });
    }
  }
  for (const file of await sourceFiles(join(from, 'src'))) {
    const source = await readFile(file, 'utf8');
    // JavaScript sources (a sandbox's entry) are copied as they are, as `allowJs` emits them.
    const outputText = file.endsWith('.js')
      ? source
      : ts.transpileModule(source, { compilerOptions: EMIT, fileName: file }).outputText;
    const target = join(to, 'dist', relative(join(from, 'src'), file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, outputText);
  }
}

/** The `.ts` and `.js` files under `dir` that a build emits: not tests, not test helpers. */
async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'testing') out.push(...(await sourceFiles(path)));
    } else if (/\.[jt]s$/.test(entry.name) && !entry.name.endsWith('.test.ts')) {
      out.push(path);
    }
  }
  return out;
}
