import { describe, it } from 'vitest';
import type { Store } from '@gopherqueue/core';
import { runStoreContract } from '../testing/index.js';
import { PostgresStore } from './postgres-store.js';
import {
  dropSchemas,
  probeTestDatabase,
  REQUIRE_POSTGRES,
  skipNotice,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './test-database.js';

const db = await probeTestDatabase();
const schemas = new Map<Store, string>();

if (db.available) {
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
} else if (REQUIRE_POSTGRES) {
  describe('PostgresStore contract', () => {
    it('needs a reachable PostgreSQL when CI=true', () => {
      throw new Error(skipNotice(db, 'the PostgresStore contract suite'));
    });
  });
} else {
  console.warn(skipNotice(db, 'the PostgresStore contract suite'));
  describe.skip('PostgresStore contract (PostgreSQL unreachable)', () => {
    it('runs the Store contract suite', () => undefined);
  });
}
