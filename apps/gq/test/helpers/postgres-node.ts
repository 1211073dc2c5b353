import type { Job } from '@gopherqueue/core';
import type { PostgresStore } from '@gopherqueue/persistence';
import { eventually, spawnGq, type GqProcess } from './gq-process.js';
import { TEST_POSTGRES_URL } from './postgres.js';

/** How one `gq serve --store postgres` node of a multi-node test starts. */
export interface PostgresNodeOptions {
  /** The schema every node of the test shares. */
  schema: string;
  /** The handlers module; none when omitted. */
  handlers?: string;
  /** Worker slots (`--workers`); the server's default when omitted. */
  workers?: number;
  /** Lease (`--lease`), e.g. `5s`; the server's default when omitted. */
  lease?: string;
  logLevel?: 'error' | 'warn';
  /** Names the node's connections at the server (`application_name`). */
  applicationName?: string;
  /** More environment, e.g. a run log path for the fixture handlers. */
  env?: Record<string, string>;
  /** More flags, after the others. */
  flags?: readonly string[];
}

/** `url` with PostgreSQL's `application_name`, which names a node's connections. */
export function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

/** `gq serve --store postgres` on a free loopback port, in the test's own schema. */
export function spawnPostgresNode(options: PostgresNodeOptions): Promise<GqProcess> {
  const url =
    options.applicationName === undefined
      ? TEST_POSTGRES_URL
      : withApplicationName(TEST_POSTGRES_URL, options.applicationName);
  const args = ['serve', '--http', '127.0.0.1:0', '--store', 'postgres', '--postgres-url', url];
  if (options.handlers !== undefined) args.push('--handlers', options.handlers);
  if (options.workers !== undefined) args.push('--workers', String(options.workers));
  if (options.lease !== undefined) args.push('--lease', options.lease);
  args.push('--log-format', 'json', '--log-level', options.logLevel ?? 'error');
  args.push(...(options.flags ?? []));
  return spawnGq(args, {
    ready: /listening on (http:\/\/\S+)/,
    env: { GQ_POSTGRES_SCHEMA: options.schema, ...options.env },
    timeoutMs: 60_000,
  });
}

/** Sets a queue's limits through one node's API; throws unless the node answers 200. */
export async function patchQueue(node: GqProcess, name: string, body: object): Promise<void> {
  const res = await fetch(`${node.url}/api/v1/queues/${name}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) {
    throw new Error(`PATCH /api/v1/queues/${name} answered ${res.status}: ${await res.text()}`);
  }
}

/** Waits until every job of `ids` is completed in `store`, and returns them as stored. */
export function allCompleted(
  store: PostgresStore,
  ids: readonly string[],
  timeoutMs: number,
): Promise<Job[]> {
  return eventually(
    async () => {
      const jobs = (await store.getMany(ids)) as Job[];
      return jobs.every((job) => job.state === 'completed') ? jobs : undefined;
    },
    `${ids.length} jobs completed`,
    timeoutMs,
    250,
  );
}

/** The most intervals [start, end) that hold one instant. */
export function maxOverlap(intervals: readonly [number, number][]): number {
  const edges = intervals.flatMap(([start, end]): [number, number][] => [
    [start, 1],
    [end, -1],
  ]);
  // An end at the same instant as a start comes first: [a, b) and [b, c) do not overlap.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, delta] of edges) {
    open += delta;
    most = Math.max(most, open);
  }
  return most;
}
