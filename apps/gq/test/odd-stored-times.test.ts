import { GopherQueueClient, type SseEvent, type WireJob } from '@gopherqueue/api';
import type { Job } from '@gopherqueue/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../../packages/persistence/src/level/level-keys.js';
import { openLevelDb } from '../../../packages/persistence/src/level/level-open.js';
import {
  eventually,
  killAll,
  spawnGq,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';
import {
  describeWithPostgres,
  dropSchemas,
  runSql,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './helpers/postgres.js';

/** Past the last time a JavaScript Date can hold (8.64e15 ms). */
const BEYOND_DATE = 8.64e15 + 10;
/** The latest and earliest times RFC 3339 can write, where the API clamps what lies beyond. */
const LATEST = '9999-12-31T23:59:59.999Z';
const EARLIEST = '0000-01-01T00:00:00.000Z';

/** A `gq serve` over one store, and how to restart it on the same store. */
interface Served {
  server: GqProcess;
  restart(): Promise<void>;
}

async function get(server: GqProcess, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}/api/v1${path}`);
  return { status: res.status, body: await res.json() };
}

/** The ids of a listing, which must answer 200. */
async function listed(server: GqProcess, query: string): Promise<string[]> {
  const answer = await get(server, `/jobs?limit=1000${query}`);
  expect(answer.status, query).toBe(200);
  return (answer.body as { jobs: WireJob[] }).jobs.map((job) => job.id);
}

/** A delayed job and a completed one, both of type echo, as the server stored them. */
async function twoJobs(client: GopherQueueClient): Promise<{ delayed: string; done: string }> {
  const delayed = (await client.submit('echo', null, { delay: '1h' })).id;
  const done = (await client.submit('echo', 'x')).id;
  await eventually(
    async () => ((await client.get(done)).state === 'completed' ? true : undefined),
    'the echo job to complete',
  );
  return { delayed, done };
}

/**
 * The tests every store must pass once a delayed job has `runAt` past what a Date holds and a
 * completed job has `startedAt` and `finishedAt` out of range (as an older version could write).
 */
function oddJobContract(
  setup: () => Promise<{ served: Served; delayed: string; done: string }>,
): void {
  let served: Served;
  let delayed: string;
  let done: string;

  beforeAll(async () => {
    ({ served, delayed, done } = await setup());
  }, 120_000);

  it('lists, filters and reads the jobs, with the times clamped', async () => {
    const { server } = served;
    expect(await listed(server, '')).toEqual([done, delayed]);
    expect(await listed(server, '&state=delayed')).toEqual([delayed]);
    expect(await listed(server, '&state=completed')).toEqual([done]);
    expect(await listed(server, '&type=echo')).toEqual([done, delayed]);
    const one = await get(server, `/jobs/${delayed}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: delayed, state: 'delayed', scheduled_at: LATEST });
    const other = await get(server, `/jobs/${done}`);
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({
      id: done,
      state: 'completed',
      started_at: EARLIEST,
      completed_at: LATEST,
    });
    const result = await get(server, `/jobs/${done}/result`);
    expect(result).toMatchObject({ status: 200, body: { success: true, completed_at: LATEST } });
  });

  it('streams an event of such a job and keeps the stream open', async () => {
    const client = new GopherQueueClient({ baseUrl: served.server.url });
    const controller = new AbortController();
    const events: SseEvent[] = [];
    let onConnected = (): void => undefined;
    const connected = new Promise<void>((resolve) => (onConnected = resolve));
    const reading = (async () => {
      for await (const event of client.events({ signal: controller.signal })) {
        events.push(event);
        if (event.event === 'connected') onConnected();
      }
    })().catch(() => undefined);
    await connected;
    const cancelled = await fetch(`${served.server.url}/api/v1/jobs/${delayed}/cancel`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    // A job created after the odd one's event reaches the same stream: it was not closed.
    const next = (await client.submit('echo', null, { delay: '1h' })).id;
    await eventually(
      () =>
        Promise.resolve(
          events.some((e) => e.event === 'job.created' && e.id === next) ? true : undefined,
        ),
      'the next job on the stream',
    );
    controller.abort();
    await reading;
    const streamed = events.filter((e) => e.event !== 'connected');
    expect(streamed.map((e) => [e.event, e.id])).toEqual([
      ['job.cancelled', delayed],
      ['job.created', next],
    ]);
    expect(streamed[0]?.data).toMatchObject({ state: 'cancelled', scheduled_at: LATEST });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ state: 'cancelled', scheduled_at: LATEST });
  });

  it('lists and reads them again after a restart', async () => {
    await served.restart();
    const { server } = served;
    const all = await listed(server, '');
    expect(all).toHaveLength(3);
    expect(all.slice(1)).toEqual([done, delayed]);
    expect(await listed(server, '&state=cancelled')).toEqual([delayed]);
    expect(await listed(server, '&type=echo')).toEqual(all);
    expect((await get(server, `/jobs/${delayed}`)).body).toMatchObject({ scheduled_at: LATEST });
    expect((await get(server, `/jobs/${done}`)).body).toMatchObject({ completed_at: LATEST });
  });
}

afterAll(async () => {
  await killAll();
});

describe('a LevelStore holding out-of-range times', () => {
  let dir: { path: string; remove(): Promise<void> };
  afterAll(async () => {
    await dir?.remove();
  });

  oddJobContract(async () => {
    dir = await tempDir('gq-odd-times-');
    let server = await spawnServer(dir.path);
    const jobs = await twoJobs(new GopherQueueClient({ baseUrl: server.url }));
    expect(await stopProcess(server)).toEqual({ code: 0, signal: null });
    // Rewrite both records in place, through the store's own keys.
    const db = await openLevelDb(dir.path, false);
    try {
      const delayed = JSON.parse((await db.get(keys.job(jobs.delayed))) ?? '') as Job;
      await db.put(
        keys.job(jobs.delayed),
        JSON.stringify({ ...delayed, runAt: 1e300, updatedAt: BEYOND_DATE }),
      );
      const done = JSON.parse((await db.get(keys.job(jobs.done))) ?? '') as Job;
      await db.put(
        keys.job(jobs.done),
        JSON.stringify({ ...done, startedAt: -1e300, finishedAt: BEYOND_DATE }),
      );
    } finally {
      await db.close();
    }
    server = await spawnServer(dir.path);
    const served: Served = {
      server,
      async restart() {
        expect(await stopProcess(served.server)).toEqual({ code: 0, signal: null });
        served.server = await spawnServer(dir.path);
      },
    };
    return { served, ...jobs };
  });
});

describeWithPostgres('a PostgresStore holding out-of-range times', () => {
  const schema = uniqueSchema('gq_odd_times');
  afterAll(async () => {
    await dropSchemas([schema]);
  });

  const start = (): Promise<GqProcess> =>
    spawnGq(
      [
        'serve',
        '--http',
        '127.0.0.1:0',
        '--store',
        'postgres',
        '--postgres-url',
        TEST_POSTGRES_URL,
        '--postgres-schema',
        schema,
        '--log-format',
        'json',
        '--log-level',
        'warn',
      ],
      { ready: /listening on (http:\/\/\S+)/, timeoutMs: 60_000 },
    );

  oddJobContract(async () => {
    const served: Served = {
      server: await start(),
      async restart() {
        expect(await stopProcess(served.server)).toEqual({ code: 0, signal: null });
        served.server = await start();
      },
    };
    const jobs = await twoJobs(new GopherQueueClient({ baseUrl: served.server.url }));
    const jobsTable = `"${schema}".jobs`;
    expect(
      await runSql(`UPDATE ${jobsTable} SET run_at = $2, updated_at = $2 WHERE id = $1`, [
        jobs.delayed,
        BEYOND_DATE,
      ]),
    ).toBe(1);
    expect(
      await runSql(`UPDATE ${jobsTable} SET started_at = $2, finished_at = $3 WHERE id = $1`, [
        jobs.done,
        -BEYOND_DATE,
        BEYOND_DATE,
      ]),
    ).toBe(1);
    return { served, ...jobs };
  });
});
