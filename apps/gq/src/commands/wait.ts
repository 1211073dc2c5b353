import type { CommandModule } from 'yargs';
import { CliError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import {
  JOB_ID_POSITIONAL,
  output,
  withClient,
  withClientOptions,
  type ClientArgs,
} from '../client-command.js';
import { durationFlag } from '../parse-flags.js';
import { formatWait, waitForJob } from '../wait-for-job.js';

interface WaitArgs extends ClientArgs {
  id: string;
  timeout: string | undefined;
}

/**
 * `gq wait ID`: waits until the job finishes and prints its result; exits 1 unless it completed.
 * A server too busy to hold one more wait (503) is asked again after its `Retry-After`.
 */
export function waitCommand(io: CliIo): CommandModule<object, WaitArgs> {
  return {
    command: 'wait <id>',
    describe: 'Wait for a job to finish (exit 1 unless it completed)',
    builder: (args) =>
      withClientOptions(args, io).positional('id', JOB_ID_POSITIONAL).option('timeout', {
        type: 'string',
        // The next word is the value whatever it is: `--timeout -5s` is then told it must be
        // positive, not that -5 and -s are unknown flags.
        requiresArg: true,
        describe: 'Give up after this long, e.g. 30s',
      }),
    handler: (args) =>
      withClient(args, async (client) => {
        const timeoutMs =
          args.timeout === undefined ? undefined : durationFlag('timeout', args.timeout);
        const answer = await waitForJob(client, args.id, timeoutMs, io.stopSignal);
        output(io, args, answer, () => formatWait(answer));
        if (!answer.completed) {
          throw new CliError(`job ${args.id} did not finish in time (${answer.state})`);
        }
        if (answer.state !== 'completed')
          throw new CliError(`job ${args.id} ended ${answer.state}`);
      }),
  };
}
