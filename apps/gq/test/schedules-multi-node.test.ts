import { join } from 'node:path';
import { PostgresStore } from '@gopherqueue/persistence';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, killAll, REPO_ROOT, type GqProcess } from './helpers/gq-process.js';
import { spawnPostgresNode } from './helpers/postgres-node.js';
import {
  describeWithPostgres,
  dropSchemas,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './helpers/postgres.js';

const HANDLERS = join(REPO_ROOT, 'apps/gq/test/fixtures/schedule-handlers.mjs');
const SCHEDULES = [
  { name: 'beat', cron: '*/1 * * * * *', job: { type: 'sched.beat', payload: { n: 1 } } },
];
let schema: string;
let store: PostgresStore;
let nodes: GqProcess[];

function startNode(schedules: unknown[] = SCHEDULES): Promise<GqProcess> {
  return spawnPostgresNode({
    schema,
    handlers: HANDLERS,
    env: { GQ_TEST_SCHEDULES: JSON.stringify(schedules) },
  });
}

/** The `scheduled_for` of every job the schedule created, sorted. */
async function ticks(): Promise<number[]> {
  const found: number[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const { jobs, nextCursor } = await store.list({
      tag: { key: 'schedule', value: 'beat' },
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const job of jobs) found.push(Date.parse(job.tags['scheduled_for'] ?? ''));
    if (nextCursor === undefined) break;
    cursor = nextCursor;
  }
  return found.sort((a, b) => a - b);
}

describeWithPostgres('an every-second schedule on three gq serve nodes sharing PostgreSQL', () => {
  beforeAll(async () => {
    schema = uniqueSchema('gq_sched');
    store = await PostgresStore.open({ connectionString: TEST_POSTGRES_URL, schema, poolSize: 2 });
    nodes = await Promise.all([startNode(), startNode(), startNode()]);
  }, 90_000);

  afterAll(async () => {
    await killAll();
    await store?.close();
    await dropSchemas([schema]);
  });

  it('creates exactly one job for each second of a 20 s window, none twice, none missing', async () => {
    expect(nodes).toHaveLength(3);
    const from = Math.ceil(Date.now() / 1000) * 1000;
    const until = from + 20_000;
    await eventually(
      async () => ((await ticks()).some((t) => t >= until) ? true : undefined),
      'the tick 20 s after the start of the window',
      40_000,
      250,
    );
    const all = await ticks();
    // Every tick of the window (from, until], once each: 20 of them.
    const inWindow = all.filter((t) => t > from && t <= until);
    expect(inWindow).toEqual(Array.from({ length: 20 }, (_, i) => from + (i + 1) * 1000));
    // None twice and none missing over the whole run, from the first tick to the last.
    expect(new Set(all).size).toBe(all.length);
    const first = all[0] as number;
    const last = all[all.length - 1] as number;
    expect(all).toEqual(
      Array.from({ length: (last - first) / 1000 + 1 }, (_, i) => first + i * 1000),
    );
    // gq serve writes a tick's job ahead of the tick (a second, as a delayed job): without the
    // lead none could be created before its tick.
    const window = await store.list({ tag: { key: 'schedule', value: 'beat' }, limit: 1000 });
    const ahead = window.jobs.filter(
      (job) => job.createdAt < Date.parse(job.tags['scheduled_for'] ?? ''),
    );
    expect(ahead.length).toBeGreaterThan(0);
    for (const job of ahead) expect(job.runAt).toBe(Date.parse(job.tags['scheduled_for'] ?? ''));
    // The jobs ran, each seeing its schedule and tick.
    const [done] = (await store.list({ state: 'completed', limit: 1 })).jobs;
    expect(done?.result).toEqual({
      schedule: 'beat',
      for: done?.tags['scheduled_for'],
    });
    for (const node of nodes) expect(node.child.exitCode).toBeNull();
  }, 120_000);

  it('follows the declarations of the node that started last, on every node', async () => {
    const changed = [
      { name: 'beat', every: '2s', job: { type: 'sched.beat' } },
      { name: 'extra', every: '1h', job: { type: 'sched.beat' } },
    ];
    const started = Date.now();
    const last = await startNode(changed);
    nodes.push(last);
    const first = nodes[0] as GqProcess;
    const res = await fetch(`${first.url}/api/v1/schedules`);
    const { schedules } = (await res.json()) as {
      schedules: { name: string; every_ms?: number; cron?: string; revision: number }[];
    };
    expect(schedules.map((s) => [s.name, s.every_ms, s.cron, s.revision])).toEqual([
      ['beat', 2000, undefined, 2],
      ['extra', 3_600_000, undefined, 1],
    ]);
    // From the moment the node that started last was listening, every node ticks every 2 s.
    const from = Math.ceil(Date.now() / 1000) * 1000;
    await eventually(
      async () => ((await ticks()).some((t) => t > from + 8000) ? true : undefined),
      'ticks 8 s after the change',
      30_000,
      250,
    );
    const after = (await ticks()).filter((t) => t > from && t <= from + 8000);
    const even = Math.ceil((from + 1) / 2000) * 2000;
    expect(after).toEqual(
      [even, even + 2000, even + 4000, even + 6000].filter((t) => t <= from + 8000),
    );
    expect(started).toBeLessThan(from);
    // The first three nodes took the change over: with the last one gone, they go on every 2 s.
    last.child.kill('SIGKILL');
    await last.exited;
    const gone = Math.ceil(Date.now() / 1000) * 1000;
    await eventually(
      async () => ((await ticks()).some((t) => t > gone + 6000) ? true : undefined),
      'ticks 6 s after the last node died',
      30_000,
      250,
    );
    const evenAfter = Math.ceil((gone + 1) / 2000) * 2000;
    expect((await ticks()).filter((t) => t > gone && t <= gone + 6000)).toEqual(
      [evenAfter, evenAfter + 2000, evenAfter + 4000].filter((t) => t <= gone + 6000),
    );
  }, 120_000);
});
