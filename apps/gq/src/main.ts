import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { hideBin } from 'yargs/helpers';
import { runCli } from './cli.js';
import { processIo, type ModuleImporter } from './cli-io.js';

/** How the launcher (`bin/gq.js`) runs the CLI. */
export interface MainOptions {
  /**
   * Imports a user's module (`--handlers`) by URL. The launcher passes an `import()` of its own,
   * so the module is loaded by Node's loader even when the CLI itself runs through tsx.
   * @defaultValue `import()` from this module
   */
  importModule?: ModuleImporter;
}

/** Runs `gq` with the process's arguments and exits with its code. */
export async function main(options: MainOptions = {}): Promise<void> {
  const code = await runCli(hideBin(process.argv), processIo(options.importModule));
  process.exitCode = code;
  // Long-lived commands close their own handles; a stray keep-alive socket must not hold the exit.
  setTimeout(() => process.exit(code), 1000).unref();
}

// Run as a script (`node dist/main.js serve`) rather than through the launcher: run.
const script = process.argv[1];
if (script !== undefined && import.meta.url === pathToFileURL(realpathSync(script)).href) {
  await main();
}
