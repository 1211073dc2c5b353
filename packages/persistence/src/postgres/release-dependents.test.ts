import { afterAll, expect, it } from 'vitest';
import { createJob, type Job } from '@gopherqueue/core';
import { describeWithPostgres } from './describe-with-postgres.js';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, TEST_POSTGRES_URL, uniqueSchema } from './test-database.js';

const schemas: string[] = [];

describeWithPostgres('PostgresStore release of dependents', () => {
  afterAll(() => dropSchemas(schemas));

  it('leaves no dependent waiting when its dependency completes on one node while another submits it', async () => {
    const schema = uniqueSchema('gq_release');
    schemas.push(schema);
    const open = (): Promise<PostgresStore> =>
      PostgresStore.open({ connectionString: TEST_POSTGRES_URL, schema, poolSize: 8 });
    const [submitter, worker] = [await open(), await open()];
    try {
      const dependents: Job[] = [];
      for (let round = 0; round < 5; round++) {
        const { job: dependency } = await submitter.submit(createJob('dep', round));
        // The dependents of earlier rounds are runnable too: claim only this round's dependency.
        const [claimed] = await worker.claim({
          workerId: 'w',
          limit: 1,
          leaseMs: 60_000,
          types: ['dep'],
        });
        expect(claimed?.id).toBe(dependency.id);
        // Dependents arrive one by one from the other node, before, during and after the
        // completion's transaction.
        const submits = Array.from({ length: 20 }, (_, i) =>
          submitter.submit(createJob('child', i, { dependsOn: [dependency.id] })),
        );
        const token = claimed?.leaseToken ?? '';
        const completing = worker.complete(dependency.id, token, null);
        const results = await Promise.all(submits);
        await completing;
        dependents.push(...results.map((r) => r.job));
      }
      const now = await submitter.getMany(dependents.map((job) => job.id));
      // Runnable, none still waiting: `scheduled`, or `delayed` for one submitted after the time
      // the completion was stamped with, due a few milliseconds later.
      expect(now.filter((job) => job?.state !== 'scheduled' && job?.state !== 'delayed')).toEqual(
        [],
      );
      expect(now.map((job) => job?.waitingOn)).toEqual(dependents.map(() => []));
    } finally {
      await submitter.close();
      await worker.close();
    }
  });
});
