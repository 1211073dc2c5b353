// Run by each package's `prepack` and `postpack` (from the package directory):
//   prepack:  refuses to pack a package that was not built (no `dist`), and copies the
//             repository's LICENSE into the package, so every tarball carries it;
//   postpack: removes that copy again, so the one LICENSE at the root is the only one kept.
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import console from 'node:console';
import process from 'node:process';
import { URL } from 'node:url';

const mode = process.argv[2];
if (mode === 'prepack') {
  if (!existsSync('dist')) {
    console.error(`${process.cwd()} has no dist: run \`pnpm build\` at the repository root first`);
    process.exit(1);
  }
  copyFileSync(new URL('../LICENSE', import.meta.url), 'LICENSE');
} else if (mode === 'postpack') {
  rmSync('LICENSE', { force: true });
} else {
  console.error('usage: node ../../scripts/pack-files.mjs prepack|postpack');
  process.exit(2);
}
