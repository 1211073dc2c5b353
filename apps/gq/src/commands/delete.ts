import type { CommandModule } from 'yargs';
import type { CliIo } from '../cli-io.js';
import {
  JOB_ID_POSITIONAL,
  output,
  withClient,
  withClientOptions,
  type ClientArgs,
} from '../client-command.js';

interface DeleteArgs extends ClientArgs {
  id: string;
}

/** `gq delete ID`: removes a job that is not running. */
export function deleteCommand(io: CliIo): CommandModule<object, DeleteArgs> {
  return {
    command: 'delete <id>',
    describe: 'Delete a job that is not running',
    builder: (args) => withClientOptions(args, io).positional('id', JOB_ID_POSITIONAL),
    handler: (args) =>
      withClient(args, async (client) => {
        await client.delete(args.id);
        output(io, args, { id: args.id, deleted: true }, () => `${args.id} deleted\n`);
      }),
  };
}
