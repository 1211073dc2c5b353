import { GopherQueueClient } from '@gopherqueue/client';
import { createJob, ErrorCode, isGqError, type Job } from '@gopherqueue/core';
import type { LevelStore } from '@gopherqueue/persistence';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpWorkSource } from './http-work-source.js';
import { startApiServer } from './testing/attempt-harness.js';

const ENDS_PATH = '/api/v1/workers/complete';

interface Server {
  store: LevelStore;
  source: HttpWorkSource;
  /** The paths of the requests the source sent, in order. */
  paths: string[];
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/**
 * A real server on loopback over a store on disk, and an HttpWorkSource whose requests are
 * recorded. `withoutEnds` answers the route of several completes with the 404 of a server that
 * predates it.
 */
async function start(withoutEnds = false): Promise<Server> {
  const server = await startApiServer((request) =>
    withoutEnds && new URL(request.url).pathname === ENDS_PATH
      ? Response.json(
          { error: { code: 'not_found', message: 'not found', details: {} } },
          { status: 404 },
        )
      : undefined,
  );
  const paths: string[] = [];
  const client = new GopherQueueClient({
    baseUrl: server.url,
    fetch: (input, init) => {
      paths.push(new URL(input instanceof Request ? input.url : String(input)).pathname);
      return fetch(input, init);
    },
  });
  const opened: Server = {
    store: server.store,
    source: new HttpWorkSource({ client }),
    paths,
    close: () => server.close(),
  };
  servers.push(opened);
  return opened;
}

/** Submits `count` jobs and claims them through the source, each with its lease token. */
async function leased(s: Server, count: number): Promise<Job[]> {
  const specs = Array.from({ length: count }, (_, i) => createJob('remote', { i }));
  await s.store.submitBatch(specs);
  const jobs = await s.source.claim(
    { workerId: 'w', limit: count, leaseMs: 30_000, concurrency: count, wait: false },
    new AbortController().signal,
  );
  expect(jobs).toHaveLength(count);
  return jobs;
}

function pathsAfterClaim(s: Server): string[] {
  return s.paths.filter((path) => path !== '/api/v1/workers/claim');
}

describe('HttpWorkSource completes', () => {
  it('sends the completes of one moment in one request, each job completed with its result', async () => {
    const s = await start();
    const jobs = await leased(s, 20);
    await Promise.all(jobs.map((job, i) => s.source.complete(job, { n: i })));
    expect(pathsAfterClaim(s)).toEqual([ENDS_PATH]);
    const stored = await s.store.getMany(jobs.map((job) => job.id));
    expect(stored.map((job) => [job?.state, job?.result])).toEqual(
      jobs.map((_, i) => ['completed', { n: i }]),
    );
  });

  it('answers each complete on its own: a lost lease fails that one only', async () => {
    const s = await start();
    const [a, b, c] = (await leased(s, 3)) as [Job, Job, Job];
    const ends = await Promise.allSettled([
      s.source.complete(a, 'a'),
      s.source.complete({ ...b, leaseToken: 'stale' }, 'b'),
      s.source.complete(c, 'c'),
    ]);
    expect(pathsAfterClaim(s)).toEqual([ENDS_PATH]);
    expect(ends.map((end) => end.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const lost = (ends[1] as PromiseRejectedResult).reason as unknown;
    expect(isGqError(lost, ErrorCode.LEASE_LOST)).toBe(true);
    expect((await s.store.get(b.id))?.state).toBe('running');
    expect((await s.store.get(c.id))?.result).toBe('c');
  });

  it('sends a result over 16 KiB alone, on the single complete route', async () => {
    const s = await start();
    const [small, large] = (await leased(s, 2)) as [Job, Job];
    const big = 'x'.repeat(20_000);
    await Promise.all([s.source.complete(small, 1), s.source.complete(large, big)]);
    expect(pathsAfterClaim(s).sort()).toEqual(
      [ENDS_PATH, `/api/v1/jobs/${large.id}/complete`].sort(),
    );
    expect((await s.store.get(large.id))?.result).toBe(big);
  });

  it('falls back to one request per complete against a server without the route', async () => {
    const s = await start(true);
    const jobs = await leased(s, 3);
    await Promise.all(jobs.map((job) => s.source.complete(job, job.id)));
    const [next] = await leased(s, 1);
    await s.source.complete(next as Job, 'later');
    // One try of the route, then single completes only, also for later ones.
    expect(pathsAfterClaim(s).sort()).toEqual(
      [ENDS_PATH, ...[...jobs, next as Job].map((job) => `/api/v1/jobs/${job.id}/complete`)].sort(),
    );
    const stored = await s.store.getMany([...jobs, next as Job].map((job) => job.id));
    expect(stored.map((job) => job?.state)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
  });
});
