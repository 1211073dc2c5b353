import type { Store } from '@gopherqueue/core';
import { runStoreContract } from '../testing/index.js';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, TEST_POSTGRES_URL, uniqueSchema } from './test-database.js';
import { describeWithPostgres } from './describe-with-postgres.js';

const schemas = new Map<Store, string>();

describeWithPostgres('PostgresStore contract', () => {
  runStoreContract('PostgresStore', {
    async create(clock) {
      const schema = uniqueSchema('gq_contract');
      const store = await PostgresStore.open({
        connectionString: TEST_POSTGRES_URL,
        schema,
        clock,
        poolSize: 4,
      });
      schemas.set(store, schema);
      return store;
    },
    async destroy(store) {
      await store.close();
      const schema = schemas.get(store);
      schemas.delete(store);
      if (schema !== undefined) await dropSchemas([schema]);
    },
  });
});
