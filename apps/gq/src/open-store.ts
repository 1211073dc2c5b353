import { resolve } from 'node:path';
import { ErrorCode, isGqError, type Durability, type Logger, type Store } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { CliError } from './cli-error.js';

/** Which store `gq serve` and `gq keys --data-dir` open. */
export type StoreKind = 'level' | 'memory' | 'postgres';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** @defaultValue `'level'` */
  kind?: StoreKind;
  /** Directory of the embedded store. @defaultValue `'./data'` */
  dataDir?: string;
  /** Directory relative `dataDir`s are resolved against. @defaultValue `process.cwd()` */
  cwd?: string;
  /** @defaultValue `'durable'` */
  durability?: Durability;
  /** Required for `postgres`. */
  postgresUrl?: string;
  /**
   * Schema of the `postgres` store's tables.
   * @defaultValue `PostgresStore`'s default: env `GQ_POSTGRES_SCHEMA`, else `'gopherqueue'`
   */
  postgresSchema?: string;
  /**
   * Create the store when there is none (an empty data directory, a schema without tables);
   * `false` fails with `no store at ...` and creates nothing. @defaultValue true
   */
  createIfMissing?: boolean;
  /** Called before an embedded store is created where there was none. */
  onCreate?: (dataDir: string) => void;
  /** @defaultValue noopLogger */
  logger?: Logger;
}

/**
 * Opens the store the options name.
 * @throws CliError with a readable message when there is no store and `createIfMissing` is
 * false, the directory is in use by another process, the database cannot be reached or an
 * option is missing.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const kind = options.kind ?? 'level';
  const dataDir = options.dataDir ?? './data';
  // An empty value would open the current directory and write LevelDB's files among the user's.
  if (kind === 'level' && dataDir.trim() === '') {
    throw new CliError('--data-dir must name a directory; got an empty value', 2);
  }
  const createIfMissing = options.createIfMissing ?? true;
  try {
    switch (kind) {
      case 'memory':
        return await LevelStore.open({ memory: true, ...withLogger(options.logger) });
      case 'level': {
        const open = (create: boolean): Promise<LevelStore> =>
          LevelStore.open({
            location: resolve(options.cwd ?? process.cwd(), dataDir),
            createIfMissing: create,
            durability: options.durability ?? 'durable',
            ...withLogger(options.logger),
          });
        if (!createIfMissing || options.onCreate === undefined) return await open(createIfMissing);
        try {
          return await open(false);
        } catch (err) {
          if (!isGqError(err, ErrorCode.NOT_FOUND)) throw err;
          options.onCreate(dataDir);
          return await open(true);
        }
      }
      case 'postgres': {
        if (options.postgresUrl === undefined || options.postgresUrl === '') {
          throw new CliError('--store postgres needs --postgres-url (or GQ_POSTGRES_URL)', 2);
        }
        const { PostgresStore } = await import('@gopherqueue/persistence');
        return await PostgresStore.open({
          connectionString: options.postgresUrl,
          createIfMissing,
          ...(options.postgresSchema === undefined ? {} : { schema: options.postgresSchema }),
          ...withLogger(options.logger),
        });
      }
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (isGqError(err, ErrorCode.NOT_FOUND)) {
      throw new CliError(
        kind === 'postgres'
          ? `${err.message}: check --postgres-url and --postgres-schema (\`gq serve --store postgres\` creates a store)`
          : `no store at ${dataDir}: check the path (\`gq serve --data-dir ${dataDir}\` creates a store)`,
        1,
        { cause: err },
      );
    }
    if (isGqError(err, ErrorCode.STORE_LOCKED)) {
      throw new CliError(
        `the data directory ${dataDir} is in use by another process (a running \`gq serve\`?)`,
        1,
        { cause: err },
      );
    }
    throw new CliError(`cannot open the ${kind} store: ${(err as Error).message}`, 1, {
      cause: err,
    });
  }
}

/**
 * The yargs definition of `--postgres-schema`, shared by every command that opens a store:
 * defaults to `GQ_POSTGRES_SCHEMA` of the command's environment, else `gopherqueue`. Read the value
 * with `postgresSchemaFlag`.
 */
export function postgresSchemaOption(env: Readonly<Record<string, string | undefined>>): {
  type: 'string';
  default: string;
  defaultDescription: string;
  describe: string;
} {
  return {
    type: 'string',
    default: env.GQ_POSTGRES_SCHEMA ?? 'gopherqueue',
    defaultDescription: '$GQ_POSTGRES_SCHEMA, else gopherqueue',
    describe: 'PostgreSQL schema of the job tables (several installations can share a database)',
  };
}

function withLogger(logger: Logger | undefined): { logger?: Logger } {
  return logger === undefined ? {} : { logger };
}
