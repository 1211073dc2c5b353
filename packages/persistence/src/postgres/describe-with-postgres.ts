import { describe, it } from 'vitest';
import { probeTestDatabase, REQUIRE_POSTGRES, skipNotice } from './test-database.js';

/** The test database, probed once per test file at load. */
export const testDatabase = await probeTestDatabase();

/**
 * `describe` when the test database answers. Otherwise, with CI=true, one failing test that says
 * why; elsewhere a skip with a printed notice naming GQ_TEST_POSTGRES_URL.
 */
export function describeWithPostgres(name: string, body: () => void): void {
  if (testDatabase.available) {
    describe(name, body);
  } else if (REQUIRE_POSTGRES) {
    describe(name, () => {
      it('needs a reachable PostgreSQL when CI=true', () => {
        throw new Error(skipNotice(testDatabase, name));
      });
    });
  } else {
    console.warn(skipNotice(testDatabase, name));
    describe.skip(`${name} (PostgreSQL unreachable)`, () => {
      it('runs against PostgreSQL', () => undefined);
    });
  }
}
