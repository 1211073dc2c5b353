import net from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createJob, ErrorCode, type Job, type StoreChange } from '@gopherqueue/core';
import pg from 'pg';
import { MIGRATIONS } from './migrations.js';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, TEST_POSTGRES_URL, uniqueSchema } from './test-database.js';
import { describeWithPostgres } from './describe-with-postgres.js';

const schemas: string[] = [];

/** Opens a store on a fresh schema (or the given one), as one node would. */
async function node(schema = fresh(), poolSize = 4): Promise<PostgresStore> {
  return PostgresStore.open({ connectionString: TEST_POSTGRES_URL, schema, poolSize });
}

function fresh(): string {
  const schema = uniqueSchema('gq_shared');
  schemas.push(schema);
  return schema;
}

async function withStores<T>(stores: PostgresStore[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    for (const store of stores) await store.close();
  }
}

const claimAll = (store: PostgresStore, workerId: string): Promise<Job[]> =>
  store.claim({ workerId, limit: 1000, leaseMs: 30_000 });

function sharedTests(): void {
  afterAll(() => dropSchemas(schemas));

  describe('transactional submit', () => {
    it('stores nothing from a rolled-back transaction and never hands it to a claimer', async () => {
      const store = await node();
      const app = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await app.connect();
      await withStores([store], async () => {
        const changes: StoreChange[] = [];
        store.subscribe((c) => changes.push(c));
        const spec = createJob('invoice.send', { order: 1 });
        await app.query('BEGIN');
        const { job } = await store.submit(spec, { client: app });
        expect(job).toMatchObject({ id: spec.id, state: 'scheduled' });
        expect(await store.get(spec.id)).toBeUndefined();
        await app.query('ROLLBACK');
        expect(await store.get(spec.id)).toBeUndefined();
        expect(await claimAll(store, 'w')).toEqual([]);
        expect((await store.counts()).total).toBe(0);
        // A later committed job proves the feed is live, so no change for the first means none came.
        await store.submit(createJob('marker'));
        await vi.waitFor(() => expect(changes.map((c) => c.kind)).toContain('created'));
        expect(changes.map((c) => c.id)).not.toContain(spec.id);
      }).finally(() => app.end());
    });

    it('stores the jobs of a committed transaction, claimable, announced after the commit', async () => {
      const store = await node();
      const app = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await app.connect();
      await withStores([store], async () => {
        const changes: StoreChange[] = [];
        store.subscribe((c) => changes.push(c));
        const single = createJob('invoice.send', { order: 2 });
        const batch = [createJob('a'), createJob('b')];
        await app.query('BEGIN');
        await app.query('CREATE TEMP TABLE orders (id int) ON COMMIT DROP');
        await store.submit(single, { client: app });
        await store.submitBatch(batch, { client: app });
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(changes).toEqual([]);
        await app.query('COMMIT');
        await vi.waitFor(() => expect(changes).toHaveLength(3));
        expect(changes.map((c) => [c.kind, c.id, c.state])).toEqual([
          ['created', single.id, 'scheduled'],
          ['created', batch[0]!.id, 'scheduled'],
          ['created', batch[1]!.id, 'scheduled'],
        ]);
        const claimed = await claimAll(store, 'w');
        expect(claimed.map((j) => j.id)).toEqual([single.id, batch[0]!.id, batch[1]!.id]);
      }).finally(() => app.end());
    });

    it('rolls back only its own writes when a job is rejected, and demands an open transaction', async () => {
      const store = await node();
      const app = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await app.connect();
      await withStores([store], async () => {
        const existing = (await store.submit(createJob('existing'))).job;
        await app.query('BEGIN');
        const ok = createJob('ok');
        await store.submit(ok, { client: app });
        const clash = [createJob('a'), createJob('b', null, { id: existing.id })];
        await expect(store.submitBatch(clash, { client: app })).rejects.toMatchObject({
          code: ErrorCode.CONFLICT,
        });
        await app.query('COMMIT');
        expect((await store.get(ok.id))?.state).toBe('scheduled');
        expect(await store.get(clash[0]!.id)).toBeUndefined();
        await expect(store.submit(createJob('x'), { client: app })).rejects.toMatchObject({
          code: ErrorCode.INVALID_ARGUMENT,
        });
      }).finally(() => app.end());
    });
  });

  describe('several nodes on one database', () => {
    it('brings up two stores opening the same empty schema at the same moment', async () => {
      const schema = fresh();
      const stores = await Promise.all([node(schema), node(schema), node(schema)]);
      await withStores(stores, async () => {
        const { job } = await stores[0].submit(createJob('t'));
        expect((await stores[1].get(job.id))?.id).toBe(job.id);
        const probe = new pg.Client({ connectionString: TEST_POSTGRES_URL });
        await probe.connect();
        const { rows } = await probe.query(
          `SELECT version FROM "${schema}".migrations ORDER BY version`,
        );
        await probe.end();
        expect(rows).toEqual(MIGRATIONS.map(({ version }) => ({ version })));
      });
    });

    it('never gives the same job to two nodes claiming 1,000 jobs concurrently', async () => {
      const schema = fresh();
      const a = await node(schema, 8);
      const b = await node(schema, 8);
      await withStores([a, b], async () => {
        const specs = Array.from({ length: 1000 }, (_, i) => createJob('t', i));
        await a.submitBatch(specs.slice(0, 500));
        await b.submitBatch(specs.slice(500));
        const lane = async (store: PostgresStore, name: string): Promise<Job[]> => {
          const mine: Job[] = [];
          for (;;) {
            const jobs = await store.claim({ workerId: name, limit: 7, leaseMs: 30_000 });
            if (jobs.length === 0) return mine;
            mine.push(...jobs);
          }
        };
        const lanes = await Promise.all(
          Array.from({ length: 16 }, (_, i) => lane(i % 2 === 0 ? a : b, `w${i}`)),
        );
        const all = lanes.flat();
        expect(all).toHaveLength(1000);
        expect(new Set(all.map((j) => j.id)).size).toBe(1000);
        expect(new Set(all.map((j) => j.leaseToken)).size).toBe(1000);
        expect(lanes.filter((_, i) => i % 2 === 0).flat().length).toBeGreaterThan(0);
        expect(lanes.filter((_, i) => i % 2 === 1).flat().length).toBeGreaterThan(0);
        expect((await a.counts()).byState.running).toBe(1000);
        expect((await b.counts()).byState.scheduled).toBe(0);
      });
    });

    it('wakes a subscriber on node B for a job submitted through node A', async () => {
      const schema = fresh();
      const a = await node(schema);
      const b = await node(schema);
      await withStores([a, b], async () => {
        const seen: StoreChange[] = [];
        b.subscribe((c) => seen.push(c));
        const { job } = await a.submit(createJob('t', null, { queue: 'mail' }));
        await vi.waitFor(() => expect(seen).toHaveLength(1), { timeout: 5000, interval: 2 });
        expect(seen[0]).toEqual({
          kind: 'created',
          id: job.id,
          state: 'scheduled',
          queue: 'mail',
          runAt: job.runAt,
          attempt: 0,
        });
        const [claimed] = await b.claim({ workerId: 'b', limit: 1, leaseMs: 30_000 });
        expect(claimed?.id).toBe(job.id);
      });
    });

    it('tells node B which attempt a change made on node A describes', async () => {
      const schema = fresh();
      const a = await node(schema);
      const b = await node(schema);
      await withStores([a, b], async () => {
        const { job } = await a.submit(createJob('t'));
        const [claimed] = await a.claim({ workerId: 'a', limit: 1, leaseMs: 30_000 });
        const seen: StoreChange[] = [];
        b.subscribe((c) => seen.push(c));
        await a.fail(job.id, claimed!.leaseToken!, {
          error: { message: 'x', errorClass: 'error' },
          outcome: { state: 'retrying', runAt: 123 },
        });
        const retrying = await vi.waitFor(
          () => {
            const change = seen.find((c) => c.state === 'retrying');
            expect(change).toBeDefined();
            return change;
          },
          { timeout: 5000, interval: 2 },
        );
        // Without the attempt, a node running attempt 2 by then could not tell this late news
        // of attempt 1 from the loss of its own lease.
        expect(retrying).toEqual({
          kind: 'updated',
          id: job.id,
          state: 'retrying',
          previous: 'running',
          queue: 'default',
          runAt: 123,
          attempt: 1,
        });
      });
    });
  });

  describe('queue limits across nodes', () => {
    it("obeys another node's change of a queue's limits at its next claim", async () => {
      const schema = fresh();
      const a = await node(schema);
      const b = await node(schema);
      await withStores([a, b], async () => {
        await a.submitBatch(Array.from({ length: 6 }, () => createJob('t', null, { queue: 'q' })));
        // Set on a; b claims at once, before any notification of the change can have arrived.
        await a.setQueue('q', { concurrency: 2 });
        const first = await claimAll(b, 'b');
        expect(first.length).toBeLessThanOrEqual(2);
        // Once b hears of the change, it takes the queue's jobs up to the limit.
        // (It re-reads the limited queues on the notification, and every 5 s at the latest.)
        await vi.waitFor(
          async () => {
            first.push(...(await claimAll(b, 'b')));
            expect(first).toHaveLength(2);
          },
          { timeout: 15_000, interval: 20 },
        );
        expect(await claimAll(a, 'a')).toEqual([]);
        expect((await b.getQueue('q')).concurrency).toBe(2);
        // Cleared on a: b's very next claim takes the rest.
        await a.setQueue('q', { concurrency: null });
        expect(await claimAll(b, 'b')).toHaveLength(4);
      });
    });
  });

  describe('an unreachable database', () => {
    it('fails open with GQ_STORE_UNAVAILABLE naming the host', async () => {
      const port = await freePort();
      const open = PostgresStore.open({
        connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
        schema: fresh(),
      });
      await expect(open).rejects.toMatchObject({
        name: 'GqError',
        code: ErrorCode.STORE_UNAVAILABLE,
        message: expect.stringContaining(`127.0.0.1:${port}`),
      });
      await expect(open).rejects.toHaveProperty('cause.code', 'ECONNREFUSED');
    });

    it('fails ping with GQ_STORE_UNAVAILABLE once the database goes away', async () => {
      const proxy = await tcpProxy(new URL(TEST_POSTGRES_URL));
      const store = await PostgresStore.open({
        connectionString: `postgres://postgres@127.0.0.1:${proxy.port}/test`,
        schema: fresh(),
        listen: false,
      });
      await withStores([store], async () => {
        await store.ping();
        await proxy.close();
        await expect(store.ping()).rejects.toMatchObject({
          code: ErrorCode.STORE_UNAVAILABLE,
          message: expect.stringContaining(`127.0.0.1:${proxy.port}/test`),
        });
      });
    });
  });
}

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Forwards a local port to PostgreSQL until closed, when it also cuts every open connection. */
async function tcpProxy(target: URL): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

describeWithPostgres('PostgresStore shared by several processes', sharedTests);
