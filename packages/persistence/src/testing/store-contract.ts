import { describe } from 'vitest';
import { admissionContract } from './contract-admission.js';
import { claimContract } from './contract-claim.js';
import { countDueContract } from './contract-count-due.js';
import { countsContract } from './contract-counts.js';
import { dependenciesContract } from './contract-dependencies.js';
import { exportContract } from './contract-export.js';
import { feedContract } from './contract-feed.js';
import { flowControlContract } from './contract-flow-control.js';
import { groupsContract } from './contract-groups.js';
import { historyContract } from './contract-history.js';
import { idempotencyContract } from './contract-idempotency.js';
import { importContract } from './contract-import.js';
import type { StoreContractHarness } from './contract-fixture.js';
import { leaseExpiryContract } from './contract-lease-expiry.js';
import { leaseContract } from './contract-lease.js';
import { listContract } from './contract-list.js';
import { logsContract } from './contract-logs.js';
import { metaContract } from './contract-meta.js';
import { retryOptionsContract } from './contract-retry-options.js';
import { scheduleBatchesContract } from './contract-schedule-batches.js';
import { schedulesContract } from './contract-schedules.js';
import { submitContract } from './contract-submit.js';
import { timeBoundsContract } from './contract-time-bounds.js';
import { transitionsContract } from './contract-transitions.js';

const GROUPS: [string, (harness: StoreContractHarness) => void][] = [
  ['submitting', submitContract],
  ['time bounds', timeBoundsContract],
  ['idempotency', idempotencyContract],
  ['unique keys, debounce and expiry', admissionContract],
  ['claiming', claimContract],
  ['leases', leaseContract],
  ['lease expiry', leaseExpiryContract],
  ['transitions', transitionsContract],
  ['transition history', historyContract],
  ['dependencies', dependenciesContract],
  ['reading', listContract],
  ['counting and purging', countsContract],
  ['counting due jobs by type', countDueContract],
  ['flow control', flowControlContract],
  ['group keys and aging', groupsContract],
  ['change feed', feedContract],
  ['retry options', retryOptionsContract],
  ['export and import', exportContract],
  ['import into a store holding jobs', importContract],
  ['job logs', logsContract],
  ['meta and lifecycle', metaContract],
  ['schedules', schedulesContract],
  ['schedule batches', scheduleBatchesContract],
];

/**
 * Registers the Store contract suite (vitest `describe`/`it` blocks) for one implementation.
 * Every test gets a fresh store from `harness.create` on its own `ManualClock`, so delays and
 * lease expiry are tested by moving the clock; `harness.destroy` runs after each test.
 * It covers every guarantee of `@gopherqueue/core`'s `store.ts` and every transition of
 * `JobState`.
 * @param name - names the implementation in the test report (`'LevelStore on disk'`).
 */
export function runStoreContract(name: string, harness: StoreContractHarness): void {
  describe(`Store contract: ${name}`, () => {
    // Each group sits in its own describe so its store hooks apply to its tests only.
    for (const [title, group] of GROUPS) describe(title, () => group(harness));
  });
}
