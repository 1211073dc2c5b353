import type { WireApiKey } from '@gopherqueue/client';
import type { Store } from '@gopherqueue/core';
import { ApiKeyManager, AuditLog, isRole, ROLES } from '@gopherqueue/security';
import type { Argv, CommandModule } from 'yargs';
import { CliError, UsageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { output, withClient, withClientOptions, type ClientArgs } from '../client-command.js';
import { openStore, postgresSchemaOption } from '../open-store.js';
import { listFlag, postgresSchemaFlag } from '../parse-flags.js';
import { formatFields, formatTable } from '../table.js';

/** Flags that make a keys command work on a stopped server's store instead of over HTTP. */
interface LocalArgs extends ClientArgs {
  dataDir: string | undefined;
  postgresUrl: string | undefined;
  postgresSchema: string;
}

interface CreateArgs extends LocalArgs {
  role: string;
  name: string | undefined;
  queues: string[] | undefined;
}

interface RevokeArgs extends LocalArgs {
  id: string;
}

/** The audit actor of key changes made directly on a store. */
const LOCAL_ACTOR = 'cli:local';

/** A key record in the API's wire shape, from a security record. */
function toWire(record: {
  id: string;
  name: string;
  role: string;
  queues?: readonly string[];
  createdAt: number;
  lastUsedAt?: number;
  revokedAt?: number;
}): WireApiKey {
  const wire: WireApiKey = {
    id: record.id,
    name: record.name,
    role: record.role,
    created_at: new Date(record.createdAt).toISOString(),
  };
  if (record.queues !== undefined && record.queues.length > 0) wire.queues = [...record.queues];
  if (record.lastUsedAt !== undefined)
    wire.last_used_at = new Date(record.lastUsedAt).toISOString();
  if (record.revokedAt !== undefined) wire.revoked_at = new Date(record.revokedAt).toISOString();
  return wire;
}

function formatKeys(keys: readonly WireApiKey[]): string {
  if (keys.length === 0) return 'no keys\n';
  return formatTable(keys, [
    { header: 'ID', value: (k) => k.id },
    { header: 'NAME', value: (k) => k.name },
    { header: 'ROLE', value: (k) => k.role },
    { header: 'QUEUES', value: (k) => k.queues?.join(',') ?? '*' },
    { header: 'CREATED', value: (k) => k.created_at },
    { header: 'STATUS', value: (k) => (k.revoked_at === undefined ? 'active' : 'revoked') },
  ]);
}

function isLocal(args: LocalArgs): boolean {
  return args.dataDir !== undefined || args.postgresUrl !== undefined;
}

/**
 * Opens the store the local flags name, runs `fn` on it, and closes it. Only `create` makes a
 * store where there is none (the first admin key of a server that has not run yet), and says so.
 */
async function withLocalStore<T>(
  io: CliIo,
  args: LocalArgs,
  create: boolean,
  fn: (store: Store) => Promise<T>,
): Promise<T> {
  const creation = create
    ? { onCreate: (dataDir: string) => io.stderr(`gq: no store at ${dataDir} yet; creating one\n`) }
    : { createIfMissing: false };
  const store = await openStore(
    args.postgresUrl === undefined
      ? { kind: 'level', dataDir: args.dataDir ?? './data', cwd: io.cwd, ...creation }
      : {
          kind: 'postgres',
          postgresUrl: args.postgresUrl,
          postgresSchema: postgresSchemaFlag(args.postgresSchema),
          ...creation,
        },
  );
  try {
    return await fn(store);
  } catch (err) {
    throw err instanceof CliError ? err : new CliError((err as Error).message, 1, { cause: err });
  } finally {
    await store.close();
  }
}

function withLocalOptions<T>(args: Argv<T>, io: CliIo): Argv<T & LocalArgs> {
  return withClientOptions(args, io)
    .option('data-dir', {
      type: 'string',
      describe: "Work on a stopped server's data directory instead of over HTTP",
    })
    .option('postgres-url', {
      type: 'string',
      describe: 'Work on a PostgreSQL store directly instead of over HTTP',
    })
    .option('postgres-schema', postgresSchemaOption(io.env))
    .conflicts('data-dir', 'postgres-url') as never;
}

/** `gq keys`: API keys: `create --role R`, `list`, `revoke ID`; over HTTP or on a data dir. */
export function keysCommand(io: CliIo): CommandModule {
  const create: CommandModule<object, CreateArgs> = {
    command: 'create',
    describe: 'Create an API key (shown once)',
    builder: (args) =>
      withLocalOptions(args, io)
        .option('role', { type: 'string', demandOption: true, describe: ROLES.join('|') })
        .option('name', { type: 'string', describe: 'A label for the key' })
        .option('queues', {
          type: 'string',
          array: true,
          describe: 'Queues the key may touch (default all)',
        }),
    handler: async (args) => {
      if (!isRole(args.role)) {
        throw new UsageError(
          `--role must be one of ${ROLES.join(', ')}; got ${JSON.stringify(args.role)}`,
        );
      }
      const role = args.role;
      const name = args.name ?? `${role} key`;
      const queues = listFlag(args.queues);
      const input = queues.length > 0 ? { name, role, queues } : { name, role };
      const show = (created: WireApiKey & { key: string }): void => {
        output(io, args, created, () =>
          formatFields([
            ['key', created.key],
            ['id', created.id],
            ['name', created.name],
            ['role', created.role],
            ['queues', created.queues?.join(',') ?? '*'],
          ]),
        );
        if (!args.json) io.stderr('Store this key now: it is shown only once.\n');
      };
      if (isLocal(args)) {
        await withLocalStore(io, args, true, async (store) => {
          const { key, record } = await new ApiKeyManager({ meta: store.meta }).create(input);
          await new AuditLog({ meta: store.meta }).record({
            actor: LOCAL_ACTOR,
            action: 'key.create',
            target: record.id,
            ...(record.queues === undefined ? {} : { queues: record.queues }),
            details: { role: record.role, name: record.name },
          });
          show({ ...toWire(record), key });
        });
        return;
      }
      await withClient(args, async (client) => {
        show(await client.createKey({ ...input, ...(queues.length > 0 ? { queues } : {}) }));
      });
    },
  };
  const list: CommandModule<object, LocalArgs> = {
    command: ['list', '$0'],
    describe: 'List API keys (never the keys themselves)',
    builder: (args) => withLocalOptions(args, io),
    handler: async (args) => {
      if (isLocal(args)) {
        await withLocalStore(io, args, false, async (store) => {
          const keys = (await new ApiKeyManager({ meta: store.meta }).list()).map(toWire);
          output(io, args, { keys }, () => formatKeys(keys));
        });
        return;
      }
      await withClient(args, async (client) => {
        const keys = await client.listKeys();
        output(io, args, { keys }, () => formatKeys(keys));
      });
    },
  };
  const revoke: CommandModule<object, RevokeArgs> = {
    command: 'revoke <id>',
    describe: 'Revoke an API key',
    builder: (args) =>
      withLocalOptions(args, io).positional('id', {
        type: 'string',
        demandOption: true,
        describe: 'Key id',
      }),
    handler: async (args) => {
      if (isLocal(args)) {
        await withLocalStore(io, args, false, async (store) => {
          const record = await new ApiKeyManager({ meta: store.meta }).revoke(args.id);
          if (record === undefined) throw new CliError(`no API key with id ${args.id}`);
          await new AuditLog({ meta: store.meta }).record({
            actor: LOCAL_ACTOR,
            action: 'key.revoke',
            target: record.id,
            ...(record.queues === undefined ? {} : { queues: record.queues }),
          });
          const wire = toWire(record);
          output(io, args, wire, () => `${wire.id} revoked\n`);
        });
        return;
      }
      await withClient(args, async (client) => {
        await client.revokeKey(args.id);
        output(io, args, { id: args.id, revoked: true }, () => `${args.id} revoked\n`);
      });
    },
  };
  return {
    command: 'keys',
    describe: 'API keys: create, list, revoke',
    builder: (args) => args.command(create).command(list).command(revoke),
    handler: () => undefined,
  };
}
