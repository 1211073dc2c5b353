import { hideBin } from 'yargs/helpers';
import { runCli } from './cli.js';
import { processIo } from './cli-io.js';

const code = await runCli(hideBin(process.argv), processIo());
process.exitCode = code;
// Long-lived commands close their own handles; a stray keep-alive socket must not hold the exit.
setTimeout(() => process.exit(code), 1000).unref();
