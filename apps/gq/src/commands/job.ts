import type { CommandModule } from 'yargs';
import type { CliIo } from '../cli-io.js';
import {
  JOB_ID_POSITIONAL,
  output,
  withClient,
  withClientOptions,
  type ClientArgs,
} from '../client-command.js';
import { formatJob } from '../job-format.js';

interface JobArgs extends ClientArgs {
  id: string;
}

/** `gq job ID`: everything about one job. */
export function jobCommand(io: CliIo): CommandModule<object, JobArgs> {
  return {
    command: 'job <id>',
    describe: 'Show one job',
    builder: (args) => withClientOptions(args, io).positional('id', JOB_ID_POSITIONAL),
    handler: (args) =>
      withClient(args, async (client) => {
        const job = await client.get(args.id);
        output(io, args, job, () => formatJob(job));
      }),
  };
}
